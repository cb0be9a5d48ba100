//! The StartLiveTail source through the real `AwsLogs` against a local server that speaks
//! the AWS event-stream framing: session start, updates, `sampled`, session end and
//! reconnect with a one-read backfill, and renewal before the session limit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use opsdeck::cloud::aws::CallContext;
use opsdeck::cloud::aws::logs::AwsLogs;
use opsdeck::model::LogEvent;
use opsdeck::ops::logs::streams::{GroupStreams, StreamSet};
use opsdeck::ops::logs::{LiveOptions, LiveSource, RateLimiter, StreamSelection, TailSource};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ACCOUNT: &str = "123456789012";
const GROUP: &str = "/ecs/umami";
const STREAM: &str = "umami/umami/0f1e2d";

/// StartLiveTail carries the endpoint prefix `stream-`, so the SDK sends it to
/// `stream-127.0.0.1:<port>`, a name no resolver knows (and `*.localhost` does not resolve
/// on every machine). The SDK has no switch to turn host prefixes off, so the test client
/// puts the loopback host back just before the request leaves. Production clients never
/// carry this interceptor.
#[derive(Debug)]
struct LoopbackHost;

impl Intercept for LoopbackHost {
    fn name(&self) -> &'static str {
        "test.LoopbackHost"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let uri = request
            .uri()
            .replacen("://stream-127.0.0.1", "://127.0.0.1", 1);
        request.set_uri(uri)?;
        Ok(())
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What the server says on each StartLiveTail connection and FilterLogEvents call.
struct Script {
    sessions: Vec<Session>,
    /// Answers to FilterLogEvents, in order; the last repeats.
    backfills: Vec<Vec<Value>>,
}

struct Session {
    updates: Vec<(Vec<Value>, bool)>,
    /// End the session after the updates (else hold it open).
    end: bool,
}

#[derive(Default)]
struct Seen {
    live_requests: Vec<Value>,
    filter_calls: usize,
}

fn event(n: usize, timestamp: i64) -> Value {
    json!({
        "eventId": format!("id-{n}"),
        "timestamp": timestamp,
        "ingestionTime": now_ms(),
        "logStreamName": STREAM,
        "logGroupIdentifier": format!("arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:{GROUP}"),
        "message": format!("line {n}"),
    })
}

fn frame(event_type: &str, payload: Value) -> Vec<u8> {
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String(event_type.to_string().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut bytes = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(&message, &mut bytes).unwrap();
    bytes
}

async fn chunk(socket: &mut TcpStream, bytes: &[u8]) {
    let _ = socket
        .write_all(format!("{:x}\r\n", bytes.len()).as_bytes())
        .await;
    let _ = socket.write_all(bytes).await;
    let _ = socket.write_all(b"\r\n").await;
    let _ = socket.flush().await;
}

/// Reads one HTTP/1.1 request: its lower-cased head and its body.
async fn read_request(socket: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    Some((head, data[head_end..].to_vec()))
}

async fn serve(listener: TcpListener, script: Arc<Script>, seen: Arc<Mutex<Seen>>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let script = script.clone();
        let seen = seen.clone();
        tokio::spawn(async move {
            let Some((head, body)) = read_request(&mut socket).await else {
                return;
            };
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if head.contains("logs_20140328.startlivetail") {
                let index = {
                    let mut seen = seen.lock().unwrap();
                    seen.live_requests.push(body);
                    seen.live_requests.len() - 1
                };
                live_session(&mut socket, script.sessions.get(index)).await;
            } else {
                let index = {
                    let mut seen = seen.lock().unwrap();
                    seen.filter_calls += 1;
                    seen.filter_calls - 1
                };
                let events = &script.backfills[index.min(script.backfills.len() - 1)];
                let reply = json!({ "events": events }).to_string();
                let _ = socket
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                            reply.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            }
        });
    }
}

async fn live_session(socket: &mut TcpStream, session: Option<&Session>) {
    let _ = socket
        .write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n\
              Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        )
        .await;
    chunk(socket, &frame("initial-response", json!({}))).await;
    let start = json!({
        "requestId": "r", "sessionId": "s",
        "logGroupIdentifiers": [format!("arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:{GROUP}")],
    });
    chunk(socket, &frame("sessionStart", start)).await;
    let Some(session) = session else {
        return hold_open().await;
    };
    for (events, sampled) in &session.updates {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let update = json!({
            "sessionMetadata": { "sampled": sampled },
            "sessionResults": events,
        });
        chunk(socket, &frame("sessionUpdate", update)).await;
    }
    if session.end {
        let _ = socket.write_all(b"0\r\n\r\n").await;
        let _ = socket.flush().await;
    } else {
        hold_open().await;
    }
}

async fn hold_open() {
    tokio::time::sleep(Duration::from_secs(600)).await;
}

fn client(port: u16) -> aws_sdk_cloudwatchlogs::Client {
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .interceptor(LoopbackHost)
        .build();
    aws_sdk_cloudwatchlogs::Client::from_conf(config)
}

fn messages(events: &[LogEvent]) -> Vec<String> {
    events.iter().map(|e| e.message.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_tail_updates_sampling_reconnect_and_renewal_without_gaps_or_repeats() {
    let base = now_ms() - 5_000;
    let e = |n: usize| event(n, base + [0, 10, 10, 20, 30, 40, 50][n]);
    let script = Arc::new(Script {
        sessions: vec![
            // Ends on its own (as AWS does after 3 hours or on a timeout).
            Session {
                updates: vec![(vec![e(1), e(2)], false), (vec![e(3)], true)],
                end: true,
            },
            // Pushes line 4 again (the backfill already returned it), then stays open
            // until the source renews it.
            Session {
                updates: vec![(vec![e(4), e(5)], false)],
                end: false,
            },
            Session {
                updates: vec![(vec![e(6)], false)],
                end: false,
            },
        ],
        backfills: vec![
            vec![e(0)],
            vec![e(0), e(1), e(2), e(3), e(4)],
            vec![e(3), e(4), e(5)],
        ],
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = tokio::spawn(serve(listener, script, seen.clone()));

    let logs = Arc::new(AwsLogs::new(
        client(port),
        CallContext {
            profile: None,
            endpoint: format!("http://127.0.0.1:{port}"),
        },
    ));
    let selection = StreamSelection {
        groups: vec![GroupStreams {
            group: GROUP.into(),
            region: "eu-west-2".into(),
            streams: StreamSet::Prefixes(vec!["umami/umami/".into()]),
        }],
    };
    let mut source = LiveSource::start(
        logs,
        Arc::new(RateLimiter::new(100, 10)),
        selection,
        ACCOUNT,
        LiveOptions {
            renew_after: Duration::from_secs(2),
            ..LiveOptions::from(base - 60_000)
        },
    )
    .await
    .unwrap();

    let mut batches = Vec::new();
    let mut received = Vec::new();
    while received.len() < 7 {
        let batch = tokio::time::timeout(Duration::from_secs(10), source.next_batch())
            .await
            .unwrap_or_else(|_| panic!("stalled after {:?}", messages(&received)))
            .unwrap();
        received.extend(batch.events.clone());
        batches.push(batch);
    }
    server.abort();

    let want: Vec<String> = (0..7).map(|n| format!("line {n}")).collect();
    assert_eq!(messages(&received), want, "every line once, in order");
    let sampled: Vec<Vec<String>> = batches
        .iter()
        .filter(|b| b.sampled)
        .map(|b| messages(&b.events))
        .collect();
    assert_eq!(sampled, [vec!["line 3".to_string()]]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.live_requests.len(), 3, "first, after the end, renewal");
    assert_eq!(seen.filter_calls, 3, "one backfill read per session");
    for request in &seen.live_requests {
        assert_eq!(
            request["logGroupIdentifiers"],
            json!([format!(
                "arn:aws:logs:eu-west-2:{ACCOUNT}:log-group:{GROUP}"
            )])
        );
        assert_eq!(request["logStreamNamePrefixes"], json!(["umami/umami/"]));
    }
}
