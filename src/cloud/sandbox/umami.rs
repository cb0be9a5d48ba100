//! What an Umami (Next.js) container writes to stdout, line by line.

use rand::RngExt;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::ids;

const PAGES: &[&str] = &[
    "/",
    "/login",
    "/dashboard",
    "/websites",
    "/settings/websites",
    "/share/Xk3p9QwL/analytics.example.com",
];

/// Real access logs carry whatever scanners send; the UI must not let these reach the terminal raw.
const HOSTILE: &[&str] = &[
    "GET /\u{1b}[31m../../etc/passwd 404 2ms",
    "GET /.env 404 1ms",
    "GET /wp-login.php 404 1ms",
    "GET /?q=\u{1b}]0;pwned\u{7} 404 1ms",
    "GET /cgi-bin/%2e%2e/%2e%2e/bin/sh\u{1b}[2J\u{1b}[H 400 0ms",
    "POST /api/send\u{8}\u{8}\u{8}\u{0} 400 3ms",
];

/// What the app prints as it starts; `failing` is the status its health checks will get.
pub(crate) fn startup(version: &str, ip: &str, failing: Option<u16>) -> Vec<String> {
    let mut lines = vec![
        format!("> umami@{} start-docker", version.trim_start_matches('v')),
        "> npm-run-all check-db update-tracker set-routes-manifest start-server".to_string(),
        "✓ DATABASE_URL is defined.".to_string(),
    ];
    if let Some(status) = failing.filter(|s| *s != 502) {
        lines.push("✓ Database connection successful.".to_string());
        lines.push(format!(
            "✗ Database version check failed: 1 migration pending (P3009); /api/heartbeat will answer {status}."
        ));
    } else if failing.is_some() {
        lines.push(
            "✗ Database type mismatch: DATABASE_TYPE does not match the DATABASE_URL protocol."
                .to_string(),
        );
    } else {
        lines.push("✓ Database connection successful.".to_string());
        lines.push("✓ Database version check successful.".to_string());
    }
    lines.extend([
        "  ▲ Next.js 14.2.28".to_string(),
        "  - Local:        http://localhost:3000".to_string(),
        format!("  - Network:      http://{ip}:3000"),
        " ✓ Starting...".to_string(),
        " ✓ Ready in 1.2s".to_string(),
    ]);
    lines
}

pub(crate) fn heartbeat(rng: &mut ChaCha8Rng, failing: Option<u16>) -> String {
    match failing {
        None => format!("GET /api/heartbeat 200 {}ms", rng.random_range(1..6)),
        Some(status) => format!("GET /api/heartbeat {status} {}ms", rng.random_range(1..4)),
    }
}

/// About a second of ordinary traffic; `failing` is the status a broken app answers with.
pub(crate) fn traffic(rng: &mut ChaCha8Rng, failing: Option<u16>) -> Vec<String> {
    let n = rng.random_range(0..4);
    let mut lines: Vec<String> = (0..n).map(|_| request(rng, failing)).collect();
    if rng.random_bool(0.08) {
        lines.push(structured(rng, failing));
    }
    if rng.random_bool(0.01) {
        lines.push(
            HOSTILE
                .choose(rng)
                .copied()
                .unwrap_or("GET /.env 404 1ms")
                .to_string(),
        );
    }
    lines
}

fn request(rng: &mut ChaCha8Rng, failing: Option<u16>) -> String {
    let status = failing.unwrap_or(200);
    match rng.random_range(0..10) {
        0..=4 => format!("POST /api/send {status} {}ms", rng.random_range(4..40)),
        5..=6 => format!(
            "GET /api/websites/{}/stats?startAt=1795251600000&endAt=1795338000000 {status} {}ms",
            ids::uuid(rng),
            rng.random_range(30..400)
        ),
        7 => format!("GET /script.js 200 {}ms", rng.random_range(0..3)),
        _ => {
            let page = PAGES.choose(rng).copied().unwrap_or("/");
            format!("GET {page} {status} {}ms", rng.random_range(5..120))
        }
    }
}

fn structured(rng: &mut ChaCha8Rng, failing: Option<u16>) -> String {
    if let Some(status) = failing.filter(|s| *s != 502) {
        return format!(
            r#"{{"level":"error","msg":"heartbeat: database version check failed","status":{status},"code":"P3009"}}"#
        );
    }
    if failing.is_some() {
        return r#"{"level":"error","msg":"prisma:error Invalid `prisma.$queryRaw()` invocation: the database provider does not match","code":"P1013"}"#.to_string();
    }
    match rng.random_range(0..10) {
        0..=6 => format!(
            r#"{{"level":"info","msg":"session created","websiteId":"{}"}}"#,
            ids::uuid(rng)
        ),
        7..=8 => format!(
            r#"{{"level":"warn","msg":"slow query","durationMs":{}}}"#,
            rng.random_range(800..3000)
        ),
        _ => r#"{"level":"error","msg":"prisma:error Timed out fetching a new connection from the connection pool.","code":"P2024"}"#.to_string(),
    }
}

/// A flood of errors with stack traces, as a misbehaving release writes them.
pub(crate) fn burst(rng: &mut ChaCha8Rng) -> Vec<String> {
    let traces = rng.random_range(20..60);
    let mut lines = Vec::new();
    for _ in 0..traces {
        let request = ids::hex(rng, 16);
        lines.push(format!(
            r#"{{"level":"error","msg":"Unhandled rejection","requestId":"{request}","error":"PrismaClientKnownRequestError"}}"#
        ));
        lines.push(
            "Error: Timed out fetching a new connection from the connection pool.".to_string(),
        );
        lines.extend(
            [
                "    at Kn.handleRequestError (/app/node_modules/@prisma/client/runtime/library.js:121:7749)",
                "    at Kn.handleAndLogRequestError (/app/node_modules/@prisma/client/runtime/library.js:121:6784)",
                "    at async getWebsiteStats (/app/.next/server/chunks/8127.js:1:4410)",
                "    at async GET (/app/.next/server/app/api/websites/[websiteId]/stats/route.js:1:2051)",
                "    at async /app/node_modules/next/dist/compiled/next-server/app-route.runtime.prod.js:6:36957",
            ]
            .map(str::to_string),
        );
        lines.push(format!(
            "GET /api/websites/{}/stats 500 {}ms",
            ids::uuid(rng),
            rng.random_range(5000..10000)
        ));
    }
    lines
}

/// The last words of a release that dies a few seconds after it starts.
pub(crate) fn crash() -> Vec<String> {
    [
        "TypeError: Cannot read properties of undefined (reading 'split')",
        "    at parseTrackerConfig (/app/.next/server/chunks/2871.js:1:9032)",
        "    at async startServer (/app/node_modules/next/dist/server/lib/start-server.js:211:9)",
        "npm error Lifecycle script `start-server` failed with error:",
        "npm error code 1",
    ]
    .map(str::to_string)
    .to_vec()
}

pub(crate) fn shutdown() -> Vec<String> {
    vec!["SIGTERM received: closing the HTTP server".to_string()]
}
