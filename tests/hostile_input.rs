//! Hostile input: random and adversarial text through every file parser, and attacker-shaped
//! log lines (escape sequences, C1 controls, bidi overrides, invalid UTF-8, 10 MB lines,
//! 100,000-line bursts) through the log buffer, the JSON detection and the logs pane.

#[path = "common/handmade.rs"]
mod handmade;

use std::path::Path;

use opsdeck::app::action::{Action, Command, FeedData, PaneId};
use opsdeck::app::screenshot::buffer_to_text;
use opsdeck::app::state::AppState;
use opsdeck::app::update::update;
use opsdeck::config::Config;
use opsdeck::config::keymap::{KeyChord, Keymap, Layer};
use opsdeck::model::LogEvent;
use opsdeck::ops::bootstrap::answers::Answers;
use opsdeck::ops::logs::buffer::LogBuffer;
use opsdeck::ops::logs::line::{Severity, pretty_json, severity};
use opsdeck::ops::logs::sanitize::{sanitize, sanitized_len};
use opsdeck::ui::{self, Theme};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CASES: u32 = 256;

// ---------------------------------------------------------------- shared checks

/// What an error's `file:line:col` must satisfy for an editor to jump into the file.
fn check_position(
    text: &str,
    shown: &str,
    path: &str,
    line: usize,
    column: usize,
) -> Result<(), TestCaseError> {
    let prefix = format!("{path}:{line}:{column}: ");
    prop_assert!(
        shown.starts_with(&prefix),
        "error does not start with {prefix:?}: {shown}"
    );
    let lines: Vec<&str> = text.split('\n').collect();
    prop_assert!(line >= 1 && column >= 1, "{shown}");
    prop_assert!(
        line <= text.lines().count() + 1,
        "line {line} past the end of a {}-line file: {shown}",
        text.lines().count()
    );
    let width = lines.get(line - 1).map_or(0, |l| l.chars().count());
    prop_assert!(
        column <= width + 1,
        "column {column} past the end of line {line} ({width} characters): {shown}"
    );
    Ok(())
}

fn keymap_result(text: &str) -> Result<Keymap, opsdeck::config::keymap::KeymapError> {
    Keymap::embedded()
        .expect("embedded keymap")
        .merged_with(text, Path::new("/home/u/.config/opsdeck/keymap.toml"))
}

fn check_all_parsers(text: &str) -> Result<(), TestCaseError> {
    if let Err(err) = keymap_result(text) {
        check_position(
            text,
            &err.to_string(),
            "/home/u/.config/opsdeck/keymap.toml",
            err.line,
            err.column,
        )?;
    }
    if let Err(err) = Config::parse(text, Path::new("/etc/opsdeck/config.toml")) {
        check_position(
            text,
            &err.to_string(),
            "/etc/opsdeck/config.toml",
            err.line,
            err.column,
        )?;
    }
    if let Err(err) = Answers::parse(text, Path::new("stack.toml")) {
        check_position(text, &err.to_string(), "stack.toml", err.line, err.column)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- TOML-shaped junk

/// Lines that are valid pieces of one of the three files, near misses, and junk, so random
/// documents get past the TOML parser and into each file's own checks.
fn toml_line() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "on",
        "run",
        "desc",
        "keymap",
        "prepend_keymap",
        "append_keymap",
        "theme",
        "read_only",
        "log_buffer_lines",
        "ecs",
        "logs",
        "profile",
        "region",
        "production",
        "bucket",
        "name",
        "image",
        "cidr",
        "port",
        "kind",
        "email",
        "bogus",
        "ü",
    ]);
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:?}")),
        "\"[^\"\\\\\\n]{0,12}\"",
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("{ on = \"q\", run = \"quit\" }".to_string()),
        Just("[{ on = \"x\", run = \"help\", desc = \"é\" }, { on = [\"g\", 1] }]".to_string()),
        Just("[{ on = \"<C-\", run = \"nope\" }]".to_string()),
        Just("{ bucket = \"\" }".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("\"10.0.0.0/33\"".to_string()),
    ];
    prop_oneof![
        4 => (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        2 => prop::sample::select(vec![
            "[global]", "[logs]", "[ecs]", "[nolayer]", "[refresh]", "[stacks.prod]",
            "[stacks.prod.site]", "[service]", "[network]", "[database]", "[site]",
            "[[global.keymap]]", "[global", "]]", "# comment ✓", "",
        ])
        .prop_map(str::to_owned),
        1 => "[ -~]{0,24}",
        1 => "\\PC{0,12}",
    ]
}

fn toml_document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(toml_line(), 0..14),
        prop::sample::select(vec!["\n", "\r\n"]),
    )
        .prop_map(|(lines, newline)| lines.join(newline))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn parsers_never_panic_on_arbitrary_text_and_errors_point_into_it(text in any::<String>()) {
        check_all_parsers(&text)?;
    }

    #[test]
    fn parsers_never_panic_on_toml_shaped_junk_and_errors_point_into_it(
        text in toml_document()
    ) {
        check_all_parsers(&text)?;
    }
}

// ---------------------------------------------------------------- valid documents

fn command_names() -> Vec<(&'static str, Command)> {
    Command::ALL.iter().map(|c| (c.name(), *c)).collect()
}

/// A key name as keymap files spell it.
fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9/?]".prop_map(|s| s),
        "[a-z]".prop_map(|s| format!("<C-{s}>")),
        prop::sample::select(vec!["<Esc>", "<Enter>", "<F5>", "<S-Tab>", "<Up>"])
            .prop_map(str::to_owned),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Neither file type serialises, so "round trip" is: a document written from values
    /// reads back as those values.
    #[test]
    fn a_valid_keymap_file_reads_back_as_the_bindings_it_was_written_from(
        entries in prop::collection::btree_map(
            key_name(),
            (prop::sample::select(command_names()), "[ -!#-\\[\\]-~é✓]{0,16}"),
            1..8,
        ),
        layer in prop::sample::select(Layer::ALL.to_vec()),
    ) {
        let body: Vec<String> = entries
            .iter()
            .map(|(on, ((name, _), desc))| {
                format!("  {{ on = \"{on}\", run = \"{name}\", desc = \"{desc}\" }},")
            })
            .collect();
        let text = format!("[{layer}]\nkeymap = [\n{}\n]\n", body.join("\n"));
        let keymap = keymap_result(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let read: Vec<(Vec<KeyChord>, Command, &str)> = keymap
            .bindings(layer)
            .iter()
            .map(|b| (b.on.clone(), b.run, b.desc.as_str()))
            .collect();
        let written: Vec<(Vec<KeyChord>, Command, &str)> = entries
            .iter()
            .map(|(on, ((_, run), desc))| {
                (vec![on.parse::<KeyChord>().expect("key")], *run, desc.as_str())
            })
            .collect();
        prop_assert_eq!(read, written);
    }

    #[test]
    fn a_valid_config_file_reads_back_as_the_values_it_was_written_from(
        theme in "[a-z][a-z-]{0,10}",
        read_only in any::<bool>(),
        lines in 100i64..=10_000_000,
        ecs_tenths in 1u64..=36_000,
        stacks in prop::collection::btree_map(
            "[a-z][a-z0-9_-]{0,10}",
            ("[a-z][a-z0-9-]{0,10}", "[a-z]{2}-[a-z]{4,9}-[1-3]", any::<bool>()),
            0..4,
        ),
    ) {
        let mut text = format!(
            "theme = \"{theme}\"\nread_only = {read_only}\nlog_buffer_lines = {lines}\n\
             [refresh]\necs = {}.{}\n",
            ecs_tenths / 10,
            ecs_tenths % 10
        );
        for (name, (profile, region, production)) in &stacks {
            text.push_str(&format!(
                "[stacks.{name}]\nprofile = \"{profile}\"\nregion = \"{region}\"\n\
                 production = {production}\n"
            ));
        }
        let config = Config::parse(&text, Path::new("config.toml"))
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&config.theme, &theme);
        prop_assert_eq!(config.read_only, read_only);
        prop_assert_eq!(config.log_buffer_lines, lines as usize);
        prop_assert_eq!(config.refresh.ecs_ms, ecs_tenths * 100);
        prop_assert_eq!(config.stacks.len(), stacks.len());
        for (name, (profile, region, production)) in &stacks {
            let stack = &config.stacks[name];
            prop_assert_eq!(stack.profile.as_deref(), Some(profile.as_str()));
            prop_assert_eq!(stack.region.as_deref(), Some(region.as_str()));
            prop_assert_eq!(stack.production, *production);
        }
    }
}

// ---------------------------------------------------------------- the sanitiser

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// What must never reach a terminal raw from a log line.
fn unsafe_for_terminal(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Printable text with attack pieces mixed in: CSI, OSC 52 clipboard writes, BEL, C1
/// controls (8-bit CSI U+009B among them) and bidi overrides.
fn hostile_message() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "[ -~]{0,12}",
        2 => "\\PC{0,6}",
        1 => Just("\x1b[2J\x1b[H".to_string()),
        1 => Just("\x1b]52;c;cHduZWQ=\x07".to_string()),
        1 => Just("\x1b]0;title\x1b\\".to_string()),
        1 => Just("\x07".to_string()),
        1 => (0x80u32..=0x9f).prop_map(|c| char::from_u32(c).expect("C1").to_string()),
        1 => (0u32..0x20).prop_map(|c| char::from_u32(c).expect("C0").to_string()),
        1 => prop::sample::select(vec!["\u{202e}", "\u{202a}", "\u{2066}", "\u{2069}", "\u{7f}"])
            .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn sanitised_lines_hold_no_controls_and_keep_every_printable_character(
        message in hostile_message()
    ) {
        let clean = sanitize(&message);
        prop_assert!(
            !clean.chars().any(unsafe_for_terminal),
            "{message:?} sanitised to {clean:?}"
        );
        prop_assert_eq!(sanitized_len(&message), clean.len());
        // Every printable character of the input is still there, in order.
        let mut rest = clean.chars();
        for c in message.chars().filter(|c| !unsafe_for_terminal(*c)) {
            prop_assert!(rest.any(|d| d == c), "{c:?} of {message:?} lost in {clean:?}");
        }
    }

    #[test]
    fn printable_text_is_left_exactly_as_it_is(message in "[^\\p{C}\u{202a}-\u{202e}\u{2066}-\u{2069}]{0,64}") {
        prop_assert_eq!(sanitize(&message), message);
    }

    /// Log text arrives as `String` (the SDK has already decoded it); anything that comes
    /// in as bytes (a file, a pipe) goes through lossy decoding first.
    #[test]
    fn lossily_decoded_bytes_are_buffered_without_controls(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let message = String::from_utf8_lossy(&bytes).into_owned();
        let mut buffer = LogBuffer::new(100);
        buffer.push(&event(&message, "app/web/0123456789abcdef"));
        let line = buffer.get(0).expect("line");
        prop_assert!(!line.message.chars().any(unsafe_for_terminal), "{:?}", line.message);
        if std::str::from_utf8(&bytes).is_err() {
            prop_assert!(line.message.contains('\u{fffd}'), "{:?}", line.message);
        }
    }

    #[test]
    fn json_detection_never_panics_on_arbitrary_text(message in any::<String>()) {
        let _ = severity(&message);
        if let Some(pretty) = pretty_json(&sanitize(&message)) {
            prop_assert!(!pretty.chars().any(|c| c != '\n' && unsafe_for_terminal(c)));
        }
    }

    #[test]
    fn json_objects_with_a_level_are_detected_whatever_else_they_hold(
        extra in prop::collection::vec(("[a-z_]{1,8}", "[ -!#-\\[\\]-~]{0,16}"), 0..5),
        level in prop::sample::select(vec![
            ("error", Severity::Error),
            ("ERROR", Severity::Error),
            ("fatal", Severity::Error),
            ("warn", Severity::Warn),
            ("info", Severity::Info),
            ("debug", Severity::Debug),
        ]),
        level_first in any::<bool>(),
    ) {
        let mut fields: Vec<String> = extra
            .iter()
            .filter(|(key, _)| key != "level" && key != "severity")
            .map(|(key, value)| format!("\"{key}\":\"{value}\""))
            .collect();
        let level_field = format!("\"level\":\"{}\"", level.0);
        if level_first {
            fields.insert(0, level_field);
        } else {
            fields.push(level_field);
        }
        // The message words disagree with the level: the JSON field must win.
        fields.push("\"msg\":\"an error and a warning\"".into());
        let line = format!("{{{}}}", fields.join(","));
        prop_assert_eq!(severity(&line), Some(level.1), "{}", line);
    }

    #[test]
    fn text_starting_with_a_brace_is_not_taken_for_json(rest in "[^a-zA-Z\\p{C}]{0,40}") {
        let line = format!("{{{rest}");
        // With no letters there is no level word, so only a JSON level could give one.
        prop_assert_eq!(severity(&line), None, "{}", line);
    }
}

#[test]
fn json_detection_needs_a_real_object() {
    assert_eq!(
        severity(r#"{"level":"error","msg":"db down"}"#),
        Some(Severity::Error)
    );
    assert_eq!(
        severity(r#"{"level":"info","msg":"an error, quoted"}"#),
        Some(Severity::Info)
    );
    // Not JSON: the level word decides, and a level-less brace line has none.
    assert_eq!(severity("{ not json: ok }"), None);
    assert_eq!(severity("{\"level\":\"info\" oops"), Some(Severity::Info));
    assert_eq!(pretty_json("{\"level\":\"error\""), None);
}

// ---------------------------------------------------------------- the log buffer

fn event(message: &str, stream: &str) -> LogEvent {
    LogEvent {
        event_id: String::new(),
        timestamp: 1_795_338_000_000,
        ingestion_time: 1_795_338_000_000,
        stream: stream.into(),
        message: message.into(),
    }
}

#[test]
fn a_ten_megabyte_line_is_held_sanitised_and_let_go_when_evicted() {
    let huge = format!(
        "{}\x1b[2J{}",
        "A".repeat(5 << 20),
        "\u{202e}B".repeat(5 << 19)
    );
    let mut buffer = LogBuffer::new(1_000);
    buffer.push(&event(&huge, "app/web/0123456789abcdef"));
    assert_eq!(
        buffer.len(),
        1,
        "the newest line stays even over the byte limit"
    );
    let held = buffer.get(0).expect("line").message;
    assert!(held.len() >= 10 << 20);
    assert!(!held.chars().any(unsafe_for_terminal));
    assert!(held.starts_with("AAAA") && held.contains("^[[2J"));
    assert_eq!(severity(held), None);
    assert_eq!(pretty_json(held), None);

    for i in 0..1_000 {
        buffer.push(&event(
            &format!("GET /api/{i} 200"),
            "app/web/0123456789abcdef",
        ));
    }
    assert_eq!(buffer.len(), 1_000);
    assert_eq!(buffer.evicted(), 1);
    assert!(
        buffer.memory_bytes() < 1 << 20,
        "the 10 MB chunk is freed once its line is evicted: {} bytes held",
        buffer.memory_bytes()
    );
}

#[test]
fn a_ten_megabyte_json_line_is_detected_and_pretty_printed() {
    let line = format!(
        "{{\"level\":\"error\",\"msg\":\"{}\",\"n\":[1,2]}}",
        "x".repeat(10 << 20)
    );
    assert_eq!(severity(&line), Some(Severity::Error));
    let pretty = pretty_json(&line).expect("valid JSON");
    assert!(pretty.starts_with("{\n  \"level\": \"error\",\n  \"msg\": \"xxx"));
}

#[test]
fn a_burst_of_100_000_lines_keeps_the_buffer_at_its_capacity() {
    let mut state = handmade::dashboard_state();
    let capacity = state.logs.capacity();
    let before = state.logs.len() as u64;
    let burst: Vec<LogEvent> = (0..100_000)
        .map(|i| {
            event(
                &format!("req {i} \x1b[31mred\x1b[0m"),
                "app/web/0123456789abcdef",
            )
        })
        .collect();
    update(
        &mut state,
        Action::Loaded {
            data: FeedData::Logs(burst),
            at: 1,
        },
    );
    assert_eq!(capacity, 10_000);
    assert_eq!(state.logs.len(), capacity);
    assert_eq!(state.logs.evicted(), before + 100_000 - capacity as u64);
    assert_eq!(
        state.logs.get_back(0).expect("newest").message,
        "req 99999 ^[[31mred^[[0m"
    );
    assert_eq!(
        state.logs.get(0).expect("oldest").message,
        "req 90000 ^[[31mred^[[0m"
    );
    assert!(state.logs.text_bytes() <= state.logs.limits().bytes);
    // 10,000 lines of ~25 bytes: a few 64 KiB chunks and the index, not 100,000 lines' worth.
    assert!(
        state.logs.memory_bytes() < 1 << 20,
        "{} bytes held",
        state.logs.memory_bytes()
    );

    // A second burst does not grow it further.
    let held = state.logs.memory_bytes();
    let burst: Vec<LogEvent> = (0..100_000)
        .map(|i| {
            event(
                &format!("req {i} \x1b[31mred\x1b[0m"),
                "app/web/0123456789abcdef",
            )
        })
        .collect();
    update(
        &mut state,
        Action::Loaded {
            data: FeedData::Logs(burst),
            at: 2,
        },
    );
    assert_eq!(state.logs.len(), capacity);
    assert!(
        state.logs.memory_bytes() <= held + (64 << 10),
        "{}",
        state.logs.memory_bytes()
    );
}

// ---------------------------------------------------------------- the logs pane

fn logs_screen(state: &AppState) -> (String, Vec<String>) {
    let keymap = Keymap::embedded().expect("keymap");
    let mut terminal =
        Terminal::new(TestBackend::new(state.width, state.height)).expect("terminal");
    terminal
        .draw(|frame| ui::render(frame, state, &keymap, &Theme::default()))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let cells = buffer
        .content()
        .iter()
        .map(|c| c.symbol().to_owned())
        .collect();
    (buffer_to_text(buffer), cells)
}

fn zoomed_logs(events: &[LogEvent]) -> AppState {
    let mut state = handmade::dashboard_state();
    update(&mut state, Action::Run(Command::FocusLogs));
    update(&mut state, Action::Run(Command::Zoom));
    update(
        &mut state,
        Action::Loaded {
            data: FeedData::Logs(events.to_vec()),
            at: 1,
        },
    );
    assert_eq!(state.focus, PaneId::Logs);
    state
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// What the terminal receives is the cells' symbols: none may carry a control character
    /// or a bidi override, whether it came in the message or in the stream name.
    #[test]
    fn hostile_log_lines_and_stream_names_never_reach_the_screen_raw(
        messages in prop::collection::vec(hostile_message(), 1..6),
        stream in hostile_message(),
        pretty in any::<bool>(),
    ) {
        let events: Vec<LogEvent> = messages
            .iter()
            .map(|m| event(m, &format!("app/w{stream}/{stream}0123")))
            .collect();
        let mut state = zoomed_logs(&events);
        if pretty {
            update(&mut state, Action::Run(Command::ToggleJson));
        }
        let (text, cells) = logs_screen(&state);
        for cell in &cells {
            prop_assert!(
                !cell.chars().any(unsafe_for_terminal),
                "cell {cell:?} would reach the terminal raw:\n{text}"
            );
        }
    }
}

#[test]
fn an_osc52_clipboard_write_shows_as_text_in_the_logs_pane() {
    let state = zoomed_logs(&[event(
        "GET /\x1b]52;c;cHduZWQ=\x07 \u{9b}31m \u{202e}evil 200",
        "app/web/0123456789abcdef",
    )]);
    let (text, cells) = logs_screen(&state);
    assert!(
        text.contains("GET /^[]52;c;cHduZWQ=^G \\u{9b}31m \\u{202e}evil 200"),
        "{text}"
    );
    assert!(!cells.iter().any(|c| c.chars().any(unsafe_for_terminal)));
}

#[test]
fn a_ten_megabyte_line_draws_in_the_logs_pane_wrapped_or_not() {
    let huge = format!("START {} END", "A".repeat(10 << 20));
    let mut state = zoomed_logs(&[event(&huge, "app/web/0123456789abcdef")]);
    let (text, _) = logs_screen(&state);
    assert!(text.contains("START AAAA"), "{text}");
    update(&mut state, Action::Run(Command::ToggleWrap));
    let (text, _) = logs_screen(&state);
    assert!(text.contains("AAAA"), "{text}");
}

#[test]
fn a_hostile_stream_name_does_not_reach_the_screen_raw() {
    for stream in [
        "app/web/\u{202e}abc0123",
        "app/web/\x1b]52;c;eA==\x07",
        "app/web/ab\u{9b}2J0123",
    ] {
        let state = zoomed_logs(&[event("GET / 200", stream)]);
        let (text, cells) = logs_screen(&state);
        let raw: Vec<&String> = cells
            .iter()
            .filter(|c| c.chars().any(unsafe_for_terminal))
            .collect();
        assert!(raw.is_empty(), "{stream:?} put {raw:?} on screen:\n{text}");
    }
}

/// `opsdeck logs` and the pane's export write straight to a terminal or to a file that is
/// `cat` later: the colours opsdeck adds are the only escape sequences they may hold.
fn own_colours_removed(text: &str) -> String {
    let mut out = text.to_string();
    for code in [
        "\x1b[0m", "\x1b[2m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[32m", "\x1b[35m",
        "\x1b[34m", "\x1b[96m", "\x1b[92m", "\x1b[95m", "\x1b[94m",
    ] {
        out = out.replace(code, "");
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn printed_and_exported_lines_hold_no_raw_controls(
        message in hostile_message(),
        stream in hostile_message(),
    ) {
        use opsdeck::ops::logs::command::Format;
        let events = [event(&message, &format!("app/c{stream}/{stream}"))];
        for format in [
            Format::Human { colour: false },
            Format::Human { colour: true },
            Format::Json,
        ] {
            let out = own_colours_removed(&format.render(&events));
            let out = out.strip_suffix('\n').unwrap_or(&out);
            prop_assert!(
                !out.chars().any(unsafe_for_terminal),
                "{format:?} printed {out:?}"
            );
        }

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("lines.log");
        let mut buffer = LogBuffer::new(10);
        buffer.push(&events[0]);
        opsdeck::ops::logs::line::export_lines(&path, buffer.iter()).expect("export");
        let written = std::fs::read_to_string(&path).expect("read back");
        let written = written.strip_suffix('\n').unwrap_or(&written);
        prop_assert!(!written.chars().any(unsafe_for_terminal), "exported {written:?}");
    }
}
