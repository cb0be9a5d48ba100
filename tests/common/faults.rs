//! A loopback HTTP proxy between opsdeck and moto that misbehaves on demand, as AWS and the
//! network do: it drops connections, adds latency, answers 500 and 503, throttles in bursts,
//! and hangs. The test switches the fault on and off while opsdeck runs against
//! [`FaultProxy::endpoint`]; every request is forwarded to moto untouched otherwise.
//!
//! HTTP/1.1 with keep-alive towards opsdeck (as the SDK's client expects), one fresh
//! connection to moto per request (`Connection: close`, the answer read to its end and sent
//! back with a `Content-Length`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// What the proxy does to each request that arrives while it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward untouched.
    None,
    /// Close the connection once the request is read, with no answer.
    Drop,
    /// Wait this long, then forward.
    Latency(Duration),
    /// Answer HTTP 500 with the service's `InternalFailure`, as AWS does.
    Status500,
    /// Answer HTTP 503 with `ServiceUnavailable`.
    Status503,
    /// Of every `burst + pass` requests, throttle the first `burst` (ThrottlingException,
    /// `Throttling` or `SlowDown`, as each protocol names it) and forward the rest.
    Throttle { burst: u32, pass: u32 },
    /// Read the request and never answer; the connection is closed when the fault ends.
    Hang,
}

impl Fault {
    /// The five faults every workflow is tested under, with their test names.
    pub const ALL: [(&'static str, Fault); 6] = [
        ("drop", Fault::Drop),
        ("latency", Fault::Latency(Duration::from_secs(2))),
        ("http500", Fault::Status500),
        ("http503", Fault::Status503),
        ("throttle", Fault::Throttle { burst: 8, pass: 2 }),
        ("hang", Fault::Hang),
    ];
}

struct Shared {
    fault: Mutex<Fault>,
    changed: Condvar,
    upstream: String,
    requests: AtomicU64,
    faulted: AtomicU64,
    stop: AtomicBool,
    /// Every request seen (`POST Action=DescribeStacks`, `PUT /bucket/key`), and whether it
    /// reached moto.
    log: Mutex<Vec<(String, bool)>>,
    /// A fault to switch on once a request naming this has reached moto.
    armed: Mutex<Option<(String, Fault)>>,
}

/// A running proxy; stops accepting when dropped.
pub struct FaultProxy {
    shared: Arc<Shared>,
    pub endpoint: String,
    port: u16,
}

impl FaultProxy {
    /// A proxy on a free loopback port in front of `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind the fault proxy");
        let port = listener.local_addr().expect("local addr").port();
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/')
            .to_string();
        let shared = Arc::new(Shared {
            fault: Mutex::new(Fault::None),
            changed: Condvar::new(),
            upstream,
            requests: AtomicU64::new(0),
            faulted: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            log: Mutex::new(Vec::new()),
            armed: Mutex::new(None),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accepting);
                std::thread::spawn(move || serve(&shared, stream));
            }
        });
        FaultProxy {
            shared,
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
        }
    }

    /// Switches the fault; requests already hanging are released when it is no longer `Hang`.
    pub fn set(&self, fault: Fault) {
        *self.shared.fault.lock().unwrap() = fault;
        self.shared.changed.notify_all();
    }

    pub fn fault(&self) -> Fault {
        *self.shared.fault.lock().unwrap()
    }

    /// Requests received so far, and how many of them met a fault.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.shared.requests.load(Ordering::SeqCst),
            self.shared.faulted.load(Ordering::SeqCst),
        )
    }

    /// Switches to `fault` right after the first request whose description contains
    /// `trigger` (`Action=ExecuteChangeSet`, `PUT /bucket/`) has been answered by moto.
    pub fn arm(&self, trigger: &str, fault: Fault) {
        *self.shared.armed.lock().unwrap() = Some((trigger.to_string(), fault));
    }

    /// Whether an armed fault is still waiting for its trigger.
    pub fn armed(&self) -> bool {
        self.shared.armed.lock().unwrap().is_some()
    }

    /// Every request seen so far, one line each (`PUT /bucket/key`, `POST ecs:ListServices`).
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .unwrap()
            .iter()
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// The requests that reached moto, in order.
    pub fn forwarded(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, sent)| *sent)
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Blocks until at least `n` requests have met the fault (so a test knows the fault was
    /// felt, not just set), or panics after `within`.
    pub fn wait_faulted(&self, n: u64, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        let start = self.shared.faulted.load(Ordering::SeqCst);
        while self.shared.faulted.load(Ordering::SeqCst) < start + n {
            assert!(
                std::time::Instant::now() < deadline,
                "no request met {:?} within {within:?}",
                self.fault()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.set(Fault::None);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One request as it came: its head (request line and headers, CRLF-joined) and body.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `ecs:ListServices`-like for JSON protocols, the `Action` for query protocols, else the
    /// method and path.
    fn describe(&self) -> String {
        if let Some(target) = self.header("x-amz-target") {
            return format!("{} {target}", self.method);
        }
        let body = String::from_utf8_lossy(&self.body);
        if let Some(action) = body
            .split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
        {
            return format!("{} Action={action}", self.method);
        }
        format!("{} {}", self.method, self.target)
    }

    /// The signing name in the request's credential scope (`.../eu-west-2/ecs/aws4_request`).
    fn service(&self) -> &str {
        self.header("authorization")
            .and_then(|auth| auth.split("Credential=").nth(1))
            .and_then(|scope| scope.split(['/', ',']).nth(3))
            .unwrap_or("")
    }

    fn protocol(&self) -> Protocol {
        if self.header("x-amz-target").is_some() {
            Protocol::Json
        } else if self
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
        {
            Protocol::Query
        } else {
            Protocol::RestXml
        }
    }
}

enum Protocol {
    Json,
    Query,
    RestXml,
}

fn serve(shared: &Shared, client: TcpStream) {
    let _ = client.set_nodelay(true);
    let mut reader = BufReader::new(client.try_clone().expect("clone client stream"));
    let mut client = client;
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        let n = shared.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let throttled = |burst: u32, pass: u32| n % u64::from(burst + pass) < u64::from(burst);
        let described = request.describe();
        let fault = *shared.fault.lock().unwrap();
        let reaches_moto = match fault {
            Fault::None | Fault::Latency(_) => true,
            Fault::Throttle { burst, pass } => !throttled(burst, pass),
            _ => false,
        };
        shared
            .log
            .lock()
            .unwrap()
            .push((described.clone(), reaches_moto));
        let faulted = |shared: &Shared| shared.faulted.fetch_add(1, Ordering::SeqCst);
        let answer = match fault {
            Fault::None => forward(shared, &request),
            Fault::Drop => {
                faulted(shared);
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Fault::Latency(delay) => {
                faulted(shared);
                std::thread::sleep(delay);
                forward(shared, &request)
            }
            Fault::Status500 => {
                faulted(shared);
                Some(error_answer(&request, 500, "InternalFailure"))
            }
            Fault::Status503 => {
                faulted(shared);
                Some(error_answer(&request, 503, "ServiceUnavailable"))
            }
            Fault::Throttle { burst, pass } => {
                if throttled(burst, pass) {
                    faulted(shared);
                    let code = match request.protocol() {
                        Protocol::Json => "ThrottlingException",
                        Protocol::Query if request.service() == "ec2" => "RequestLimitExceeded",
                        Protocol::Query => "Throttling",
                        Protocol::RestXml => throttle_code_rest(&request),
                    };
                    Some(error_answer(&request, 400, code))
                } else {
                    forward(shared, &request)
                }
            }
            Fault::Hang => {
                faulted(shared);
                let mut fault = shared.fault.lock().unwrap();
                while *fault == Fault::Hang && !shared.stop.load(Ordering::SeqCst) {
                    fault = shared.changed.wait(fault).unwrap();
                }
                drop(fault);
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
        };
        let Some(answer) = answer else {
            let _ = client.shutdown(Shutdown::Both);
            return;
        };
        if reaches_moto {
            let mut armed = shared.armed.lock().unwrap();
            if armed
                .as_ref()
                .is_some_and(|(trigger, _)| described.contains(trigger.as_str()))
            {
                let (_, fault) = armed.take().expect("armed");
                drop(armed);
                *shared.fault.lock().unwrap() = fault;
                shared.changed.notify_all();
            }
        }
        if client.write_all(&answer).is_err() {
            return;
        }
    }
}

/// S3 says `SlowDown`; CloudFront and the other REST-XML services `Throttling`.
fn throttle_code_rest(request: &Request) -> &'static str {
    if request.service() == "s3" {
        "SlowDown"
    } else {
        "Throttling"
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let headers = read_headers(reader)?;
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(reader)?
    } else {
        let length: usize = find("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        body
    };
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn read_headers<R: BufRead>(reader: &mut R) -> Option<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return Some(headers);
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
}

fn read_chunked<R: BufRead>(reader: &mut R) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            // Trailers, then the blank line.
            read_headers(reader)?;
            return Some(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).ok()?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf).ok()?;
    }
}

const HOP_BY_HOP: [&str; 4] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
];

/// Sends the request to moto on a connection of its own and returns the answer, framed with a
/// Content-Length for the client's kept-alive connection; `None` when moto cannot be reached.
fn forward(shared: &Shared, request: &Request) -> Option<Vec<u8>> {
    let mut upstream = TcpStream::connect(&shared.upstream).ok()?;
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.target);
    for (name, value) in &request.headers {
        if !HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        request.body.len()
    ));
    upstream.write_all(head.as_bytes()).ok()?;
    upstream.write_all(&request.body).ok()?;
    let mut reader = BufReader::new(upstream);
    let mut status = String::new();
    reader.read_line(&mut status).ok()?;
    let headers = read_headers(&mut reader)?;
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let head_only = request.method == "HEAD";
    let body = if head_only {
        Vec::new()
    } else if chunked {
        read_chunked(&mut reader)?
    } else {
        let mut body = Vec::new();
        reader.read_to_end(&mut body).ok()?;
        body
    };
    let mut answer = status.trim_end().to_string();
    answer.push_str("\r\n");
    for (name, value) in &headers {
        let lower = name.to_ascii_lowercase();
        // A HEAD answer keeps moto's Content-Length: it describes the object, not the body.
        if HOP_BY_HOP.contains(&lower.as_str()) && !(head_only && lower == "content-length") {
            continue;
        }
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    if !head_only {
        answer.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    answer.push_str("\r\n");
    let mut answer = answer.into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

/// An error answer as the request's protocol shapes it, so the SDK reads the code.
fn error_answer(request: &Request, status: u16, code: &str) -> Vec<u8> {
    let reason = match status {
        400 => "Bad Request",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let message = "injected by the test's fault proxy";
    let (content_type, body) = match request.protocol() {
        Protocol::Json => (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        ),
        Protocol::Query if request.service() == "ec2" => (
            "text/xml",
            format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>\
                 </Error></Errors><RequestID>fault</RequestID></Response>"
            ),
        ),
        Protocol::Query => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>\
                 <Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
            ),
        ),
        Protocol::RestXml => (
            "application/xml",
            if throttle_code_rest(request) == "SlowDown" {
                format!(
                    "<Error><Code>{code}</Code><Message>{message}</Message>\
                     <RequestId>fault</RequestId></Error>"
                )
            } else {
                format!(
                    "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>\
                     <Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
                )
            },
        ),
    };
    let body = if request.method == "HEAD" {
        String::new()
    } else {
        body
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nx-amzn-ErrorType: {code}\r\n\
         x-amzn-RequestId: fault\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
