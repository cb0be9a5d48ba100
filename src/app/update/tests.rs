//! Unit tests of `update`: key commands, input, feeds and pickers on a bare state.

use super::*;
use crate::app::action::{Feed, FeedData, StackListing};
use crate::app::state::StackChoices;
use crate::model::EcsSnapshot;
use crate::model::{LogEvent, StackRef};

fn state() -> AppState {
    AppState::for_tests()
}

fn log(id: usize) -> LogEvent {
    LogEvent {
        event_id: id.to_string(),
        timestamp: id as i64,
        ingestion_time: id as i64,
        stream: "ecs/umami/abc".into(),
        message: format!("line {id}"),
    }
}

fn logs_loaded(state: &mut AppState, ids: std::ops::Range<usize>) {
    let events = ids.map(log).collect();
    update(
        state,
        Action::Loaded {
            data: FeedData::Logs(events),
            at: 1,
        },
    );
}

#[test]
fn focus_cycles_through_the_five_panes_and_wraps() {
    let mut s = state();
    let mut seen = vec![s.focus];
    for _ in 0..5 {
        update(&mut s, Action::Run(Command::FocusNext));
        seen.push(s.focus);
    }
    assert_eq!(
        seen,
        [
            PaneId::Network,
            PaneId::Ecs,
            PaneId::Targets,
            PaneId::Rds,
            PaneId::Logs,
            PaneId::Network
        ]
    );
    update(&mut s, Action::Run(Command::FocusPrev));
    assert_eq!(s.focus, PaneId::Logs);
    update(&mut s, Action::Run(Command::FocusRds));
    assert_eq!(s.focus, PaneId::Rds);
}

#[test]
fn help_toggles_and_focus_change_closes_it() {
    let mut s = state();
    update(&mut s, Action::Run(Command::Help));
    assert_eq!(s.popup, Some(Popup::Help { scroll: 0 }));
    update(&mut s, Action::Run(Command::Down));
    assert_eq!(s.popup, Some(Popup::Help { scroll: 1 }));
    update(&mut s, Action::Run(Command::Help));
    assert_eq!(s.popup, None);
    update(&mut s, Action::Run(Command::Help));
    update(&mut s, Action::Run(Command::FocusLogs));
    assert_eq!((s.popup.clone(), s.focus), (None, PaneId::Logs));
}

#[test]
fn escape_unwinds_popup_then_filter_then_zoom() {
    let mut s = state();
    update(&mut s, Action::Run(Command::Zoom));
    update(&mut s, Action::Run(Command::Filter));
    for c in "err".chars() {
        update(&mut s, Action::Input(c));
    }
    assert_eq!(s.filter_for(PaneId::Network), Some("err"));
    update(&mut s, Action::InputCommit);
    assert_eq!(s.input, None);
    assert_eq!(s.filter_for(PaneId::Network), Some("err"));
    update(&mut s, Action::Run(Command::Help));

    update(&mut s, Action::Run(Command::Back));
    assert_eq!(s.popup, None);
    assert!(s.zoomed);
    update(&mut s, Action::Run(Command::Back));
    assert_eq!(s.filter_for(PaneId::Network), None);
    assert!(s.zoomed);
    update(&mut s, Action::Run(Command::Back));
    assert!(!s.zoomed);
}

#[test]
fn cancelled_filter_input_drops_the_filter() {
    let mut s = state();
    update(&mut s, Action::Run(Command::Filter));
    update(&mut s, Action::Input('x'));
    update(&mut s, Action::InputBackspace);
    update(&mut s, Action::Input('y'));
    assert_eq!(s.filter_for(PaneId::Network), Some("y"));
    update(&mut s, Action::InputCancel);
    assert_eq!(
        (s.input.clone(), s.filter_for(PaneId::Network)),
        (None, None)
    );
}

#[test]
fn scrolling_logs_up_pauses_and_new_lines_keep_the_view_still() {
    let mut s = state();
    update(&mut s, Action::Run(Command::FocusLogs));
    logs_loaded(&mut s, 0..50);
    assert!(s.logs_pane.follow);
    update(&mut s, Action::Run(Command::Up));
    update(&mut s, Action::Run(Command::Up));
    assert_eq!((s.logs_pane.follow, s.logs_pane.scroll), (false, 2));
    logs_loaded(&mut s, 50..60);
    assert_eq!(
        s.logs_pane.scroll, 12,
        "paused view must stay on the same lines"
    );
    update(&mut s, Action::Run(Command::Bottom));
    assert_eq!((s.logs_pane.follow, s.logs_pane.scroll), (true, 0));
    update(&mut s, Action::Run(Command::ToggleFollow));
    assert!(!s.logs_pane.follow);
    update(&mut s, Action::Run(Command::ToggleFollow));
    assert!(s.logs_pane.follow);
}

#[test]
fn log_buffer_is_bounded_and_counts_evictions() {
    let mut s = state();
    logs_loaded(&mut s, 0..250);
    assert_eq!(s.logs.len(), 100);
    assert_eq!(s.logs.evicted(), 150);
    assert_eq!(s.logs.lines().front().map(|l| l.message), Some("line 150"));
}

#[test]
fn a_failed_load_is_shown_and_cleared_by_the_next_success() {
    let mut s = state();
    update(
        &mut s,
        Action::LoadFailed {
            feed: Feed::Ecs,
            error: "cluster umami not found".into(),
            at: 5,
        },
    );
    assert_eq!(
        s.last_error.as_deref(),
        Some("ecs: cluster umami not found")
    );
    assert_eq!(s.ecs.error.as_deref(), Some("cluster umami not found"));
    update(
        &mut s,
        Action::Loaded {
            data: FeedData::Ecs(EcsSnapshot::default()),
            at: 7,
        },
    );
    assert_eq!((s.ecs.error.clone(), s.ecs.at), (None, Some(7)));
    // The feed is back, so the status bar no longer says it failed.
    assert_eq!(s.last_error, None);
}

#[test]
fn a_feed_that_recovers_clears_only_its_own_error_from_the_status_bar() {
    let mut s = state();
    let fail = |s: &mut AppState, feed| {
        update(
            s,
            Action::LoadFailed {
                feed,
                error: "ServiceUnavailable".into(),
                at: 5,
            },
        );
    };
    fail(&mut s, Feed::Rds);
    update(
        &mut s,
        Action::Loaded {
            data: FeedData::Ecs(EcsSnapshot::default()),
            at: 6,
        },
    );
    assert_eq!(s.last_error.as_deref(), Some("rds: ServiceUnavailable"));
    s.last_error = Some("deploy: refused".into());
    update(
        &mut s,
        Action::Loaded {
            data: FeedData::Rds(Vec::new()),
            at: 7,
        },
    );
    assert_eq!(s.last_error.as_deref(), Some("deploy: refused"));
    fail(&mut s, Feed::Rds);
    update(
        &mut s,
        Action::Loaded {
            data: FeedData::Rds(Vec::new()),
            at: 8,
        },
    );
    assert_eq!(s.last_error, None);
}

#[test]
fn refresh_asks_the_workers_and_clears_the_error() {
    let mut s = state();
    s.last_error = Some("x".into());
    assert_eq!(
        update(&mut s, Action::Run(Command::Refresh)),
        Some(Effect::RefreshAll)
    );
    assert_eq!(s.last_error, None);
}

fn logs_from(state: &mut AppState, stream: &str, messages: &[&str], first_ms: i64) {
    let events = messages
        .iter()
        .enumerate()
        .map(|(i, message)| LogEvent {
            event_id: format!("{stream}-{first_ms}-{i}"),
            timestamp: first_ms + i as i64 * 1000,
            ingestion_time: first_ms,
            stream: stream.into(),
            message: (*message).into(),
        })
        .collect();
    update(
        state,
        Action::Loaded {
            data: FeedData::Logs(events),
            at: 1,
        },
    );
}

fn type_filter(state: &mut AppState, text: &str) {
    update(state, Action::Run(Command::FocusLogs));
    update(state, Action::Run(Command::Filter));
    for c in text.chars() {
        update(state, Action::Input(c));
    }
}

fn shown_messages(state: &AppState) -> Vec<String> {
    state
        .visible_logs()
        .lines()
        .map(|l| l.message.to_string())
        .collect()
}

#[test]
fn regex_and_case_toggles_refilter_and_a_bad_regex_is_reported_not_applied() {
    let mut s = state();
    logs_from(
        &mut s,
        "ecs/umami/abc",
        &["GET /a 500", "get /b 200", "POST /c 502"],
        0,
    );
    type_filter(&mut s, "get");
    assert_eq!(s.log_view_len(), 2, "substring, any case, by default");
    update(&mut s, Action::Run(Command::ToggleCase));
    assert_eq!(shown_messages(&s), ["get /b 200"]);
    update(&mut s, Action::Run(Command::ToggleCase));
    for _ in 0..3 {
        update(&mut s, Action::InputBackspace);
    }
    for c in " 5\\d\\d".chars() {
        update(&mut s, Action::Input(c));
    }
    assert_eq!(
        s.log_view_len(),
        0,
        "a substring: the backslashes are literal"
    );
    update(&mut s, Action::Run(Command::ToggleRegex));
    assert_eq!(shown_messages(&s), ["GET /a 500", "POST /c 502"]);
    update(&mut s, Action::Input('('));
    assert_eq!(
        s.logs_pane.filter_error.as_deref(),
        Some("bad regex: unclosed group")
    );
    assert_eq!(s.log_view_len(), 3, "an invalid regex does not filter");
    update(&mut s, Action::InputBackspace);
    assert_eq!(
        (s.logs_pane.filter_error.clone(), s.log_view_len()),
        (None, 2)
    );
}

#[test]
fn filtered_lines_follow_new_lines_and_keep_a_paused_view_still() {
    let mut s = state();
    logs_from(&mut s, "ecs/umami/abc", &["error 1", "ok", "error 2"], 0);
    type_filter(&mut s, "error");
    update(&mut s, Action::InputCommit);
    update(&mut s, Action::Run(Command::Up));
    assert_eq!(s.logs_pane.scroll, 1);
    logs_from(&mut s, "ecs/umami/abc", &["error 3", "fine"], 10_000);
    assert_eq!(s.log_view_len(), 3);
    assert_eq!(s.logs_pane.scroll, 2, "one matching line arrived below");
}

#[test]
fn jump_times_parse_as_utc_clock_times_or_relative() {
    // 2026-11-22 09:00:00.123 UTC.
    let now = 1_795_338_000_123;
    assert_eq!(parse_jump_time("-5m", now), Ok(now - 300_000));
    assert_eq!(parse_jump_time(" -30s ", now), Ok(now - 30_000));
    assert_eq!(parse_jump_time("08:59", now), Ok(1_795_337_940_000));
    assert_eq!(parse_jump_time("08:59:30", now), Ok(1_795_337_970_000));
    assert_eq!(
        parse_jump_time("09:30", now),
        Ok(1_795_339_800_000 - 86_400_000),
        "a time later than now is yesterday's"
    );
    for bad in ["", "9", "25:00", "-5", "-m", "-5y", "--5m", "12:3x", "-é"] {
        let error = parse_jump_time(bad, now).expect_err(bad);
        assert!(error.contains("HH:MM"), "{bad}: {error}");
    }
}

#[test]
fn jumping_to_a_time_scrolls_there_and_pauses_and_a_bad_time_keeps_the_text() {
    let mut s = state();
    s.height = 24;
    s.width = 80;
    let messages: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
    let refs: Vec<&str> = messages.iter().map(String::as_str).collect();
    // One line a second from 09:00:00.
    logs_from(&mut s, "ecs/umami/abc", &refs, 1_795_338_000_000);
    update(&mut s, Action::Tick(1_795_338_600_000));
    update(&mut s, Action::Run(Command::FocusLogs));

    update(&mut s, Action::Run(Command::JumpToTime));
    for c in "9:0x".chars() {
        update(&mut s, Action::Input(c));
    }
    update(&mut s, Action::InputCommit);
    let Some(input) = s.input.clone() else {
        panic!("the input stays open");
    };
    assert_eq!(input.text, "9:0x");
    assert!(input.error.is_some_and(|e| e.contains("not a time")));
    assert!(s.logs_pane.follow, "nothing changed");

    update(&mut s, Action::InputBackspace);
    for c in "0:30".chars() {
        update(&mut s, Action::Input(c));
    }
    update(&mut s, Action::InputCommit);
    assert_eq!(s.input, None);
    assert!(!s.logs_pane.follow);
    let top = view::page_rows(&s, PaneId::Logs);
    let at_top = s.log_line_back(s.logs_pane.scroll + top - 1);
    assert_eq!(at_top.map(|l| l.message), Some("line 30"));

    update(&mut s, Action::Run(Command::JumpToTime));
    for c in "-1m".chars() {
        update(&mut s, Action::Input(c));
    }
    update(&mut s, Action::InputCommit);
    assert!(
        s.input
            .as_ref()
            .and_then(|i| i.error.as_deref())
            .is_some_and(|e| e.contains("no log lines at or after")),
        "{:?}",
        s.input
    );
    update(&mut s, Action::InputCancel);
    assert_eq!(s.input, None);
}

#[test]
fn the_stream_picker_lists_tasks_and_narrows_the_pane() {
    let mut s = state();
    logs_from(&mut s, "ecs/web/task-a", &["a1", "a2", "a3"], 0);
    logs_from(&mut s, "ecs/web/task-b", &["b1"], 5_000);
    logs_from(&mut s, "ecs/sidecar/task-a", &["s1", "s2"], 9_000);
    update(&mut s, Action::Run(Command::FocusLogs));
    update(&mut s, Action::Run(Command::ChooseStream));
    let Some(Popup::StreamPicker { choices, selected }) = s.popup.clone() else {
        panic!("picker open: {:?}", s.popup);
    };
    let listed: Vec<(Option<&str>, Option<&str>, usize)> = choices
        .iter()
        .map(|c| {
            (
                c.narrowing.task.as_deref(),
                c.narrowing.container.as_deref(),
                c.lines,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (None, None, 6),
            (Some("task-a"), Some("web"), 3),
            (Some("task-a"), Some("sidecar"), 2),
            (Some("task-b"), Some("web"), 1),
        ]
    );
    assert_eq!(selected, 0);
    update(&mut s, Action::Run(Command::Down));
    update(&mut s, Action::Run(Command::Down));
    update(&mut s, Action::Run(Command::Enter));
    assert_eq!(s.popup, None);
    assert_eq!(shown_messages(&s), ["s1", "s2"]);

    logs_from(&mut s, "ecs/sidecar/task-a", &["s3"], 20_000);
    logs_from(&mut s, "ecs/web/task-a", &["a4"], 20_000);
    assert_eq!(
        shown_messages(&s),
        ["s1", "s2", "s3"],
        "new lines narrowed too"
    );

    type_filter(&mut s, "3");
    assert_eq!(shown_messages(&s), ["s3"], "filter and narrowing together");
    update(&mut s, Action::InputCommit);
    update(&mut s, Action::Run(Command::Back));
    assert_eq!(s.log_view_len(), 3, "Esc drops the filter first");
    update(&mut s, Action::Run(Command::Back));
    assert_eq!(s.log_view_len(), 8, "then the narrowing");
}

#[test]
fn export_asks_for_the_visible_lines_and_reports_back() {
    let mut s = state();
    update(&mut s, Action::Tick(1_795_338_000_123));
    logs_from(&mut s, "ecs/umami/abc", &["error 1", "ok", "error 2"], 0);
    type_filter(&mut s, "error");
    update(&mut s, Action::InputCommit);
    let Some(Effect::ExportLogs { path, lines }) = update(&mut s, Action::Run(Command::ExportLogs))
    else {
        panic!("an export effect");
    };
    assert_eq!(
        path,
        PathBuf::from("./opsdeck-logs-umami-20261122T090000Z.log")
    );
    let exported: Vec<&str> = lines.lines().map(|l| l.message).collect();
    assert_eq!(exported, ["error 1", "error 2"]);
    assert_eq!(lines.len(), 2);

    update(
        &mut s,
        Action::LogsExported {
            path: path.clone(),
            result: Ok(2),
        },
    );
    assert_eq!(
        s.notice.as_deref(),
        Some("exported 2 log lines to ./opsdeck-logs-umami-20261122T090000Z.log")
    );
    update(
        &mut s,
        Action::LogsExported {
            path,
            result: Err("cannot write x: permission denied".into()),
        },
    );
    assert_eq!(
        s.last_error.as_deref(),
        Some("export: cannot write x: permission denied")
    );
}

#[test]
fn toggles_flip_the_pane_modes() {
    let mut s = state();
    update(&mut s, Action::Run(Command::ToggleJson));
    assert!(s.logs_pane.pretty_json);
    update(&mut s, Action::Run(Command::ToggleJson));
    assert!(!s.logs_pane.pretty_json);
    update(&mut s, Action::Run(Command::ToggleRegex));
    update(&mut s, Action::Run(Command::ToggleCase));
    assert!(s.logs_pane.regex && s.logs_pane.case_sensitive);
    assert_eq!(s.logs_pane.shown, None, "no filter typed: nothing to cache");
}

fn stack(cluster: &str, service: &str) -> StackRef {
    StackRef {
        name: service.into(),
        region: "eu-west-2".into(),
        cluster: cluster.into(),
        service: service.into(),
    }
}

#[test]
fn choosing_a_stack_opens_it_and_drops_the_old_data() {
    let mut s = state();
    s.stack = stack("", "");
    logs_loaded(&mut s, 0..5);
    s.popup = Some(Popup::StackPicker {
        choices: StackChoices::new(vec![stack("a", "api"), stack("b", "web")], false),
        selected: 0,
    });
    update(&mut s, Action::Run(Command::Down));
    update(&mut s, Action::Run(Command::Down));
    let effect = update(&mut s, Action::Run(Command::Enter));
    assert_eq!(effect, Some(Effect::OpenStack(stack("b", "web"))));
    assert_eq!(s.stack, stack("b", "web"));
    assert_eq!((s.popup.clone(), s.logs.len()), (None, 0));
}

#[test]
fn leaving_the_stack_picker_before_choosing_quits() {
    let mut s = state();
    s.stack = stack("", "");
    s.popup = Some(Popup::StackPicker {
        choices: StackChoices::new(vec![stack("a", "api")], false),
        selected: 0,
    });
    update(&mut s, Action::Run(Command::Back));
    assert!(s.should_quit);
}

#[test]
fn help_in_the_stack_picker_keeps_the_picker_and_names_its_keys() {
    let mut s = state();
    s.stack = stack("", "");
    s.popup = Some(Popup::StackPicker {
        choices: StackChoices::new(vec![stack("a", "api"), stack("a", "web")], false),
        selected: 1,
    });
    update(&mut s, Action::Run(Command::Help));
    assert_eq!(picker(&s).1, 1);
    assert!(s.notice.as_deref().is_some_and(|n| n.contains("Enter")));
    update(&mut s, Action::Run(Command::Back));
    assert!(s.should_quit, "Esc still leaves, as before the help key");
}

fn picker(s: &AppState) -> (&StackChoices, usize) {
    match &s.popup {
        Some(Popup::StackPicker { choices, selected }) => (choices, *selected),
        other => panic!("the stack picker is open: {other:?}"),
    }
}

fn selected_stack(s: &AppState) -> StackRef {
    let (choices, selected) = picker(s);
    choices.get(selected).cloned().expect("a selection")
}

#[test]
fn services_listed_behind_the_picker_land_in_order_and_keep_the_selection() {
    let mut s = state();
    s.stack = stack("", "");
    s.popup = Some(Popup::StackPicker {
        choices: StackChoices::new(vec![stack("m", "api"), stack("m", "web")], true),
        selected: 0,
    });
    // Untouched, the cursor stays on the first row as services land above it.
    update(
        &mut s,
        Action::StackChoices(StackListing::Found(vec![stack("b", "x")])),
    );
    assert_eq!((picker(&s).1, selected_stack(&s)), (0, stack("b", "x")));
    update(&mut s, Action::Run(Command::Down));
    update(&mut s, Action::Run(Command::Down));
    assert_eq!(selected_stack(&s), stack("m", "web"));
    let found = vec![stack("a", "x"), stack("z", "y")];
    update(&mut s, Action::StackChoices(StackListing::Found(found)));
    let (choices, selected) = picker(&s);
    let order: Vec<&str> = choices.shown().map(|c| c.cluster.as_str()).collect();
    assert_eq!(order, ["a", "b", "m", "m", "z"]);
    assert_eq!((selected, choices.listing), (3, true));
    assert_eq!(
        selected_stack(&s),
        stack("m", "web"),
        "the cursor stays put"
    );
    update(&mut s, Action::StackChoices(StackListing::Done));
    assert!(!picker(&s).0.listing);
}

#[test]
fn slash_in_the_stack_picker_filters_it_as_typed_and_esc_drops_the_filter() {
    let mut s = state();
    s.stack = stack("", "");
    let found = (0..300)
        .map(|i| stack("team", &format!("svc-{i:04}")))
        .collect();
    s.popup = Some(Popup::StackPicker {
        choices: StackChoices::new(found, false),
        selected: 5,
    });
    update(&mut s, Action::Run(Command::Filter));
    assert_eq!(
        s.filters.len(),
        0,
        "not the pane's filter behind the picker"
    );
    for c in "SVC-0123".chars() {
        update(&mut s, Action::Input(c));
    }
    let (choices, selected) = picker(&s);
    assert_eq!((choices.len(), choices.total(), selected), (1, 300, 0));
    assert_eq!(selected_stack(&s), stack("team", "svc-0123"));
    update(&mut s, Action::InputBackspace);
    assert_eq!(picker(&s).0.len(), 10, "svc-0120 to svc-0129");
    update(&mut s, Action::InputCommit);
    assert_eq!((s.input.clone(), picker(&s).0.filter()), (None, "SVC-012"));
    // Enter chooses among the filtered ones.
    update(&mut s, Action::Run(Command::Down));
    assert_eq!(selected_stack(&s), stack("team", "svc-0121"));
    // Esc drops the kept filter first, and only then leaves.
    update(&mut s, Action::Run(Command::Back));
    assert_eq!((picker(&s).0.len(), s.should_quit), (300, false));
    update(&mut s, Action::Run(Command::Back));
    assert!(s.should_quit);
}

#[test]
fn a_listing_that_fails_behind_the_picker_keeps_what_it_found() {
    let mut s = state();
    s.popup = Some(Popup::StackPicker {
        choices: StackChoices::new(vec![stack("a", "api"), stack("a", "web")], true),
        selected: 1,
    });
    let error = "access denied to ecs:ListServices".to_string();
    update(
        &mut s,
        Action::StackChoices(StackListing::Failed(error.clone())),
    );
    let (choices, selected) = picker(&s);
    assert_eq!((choices.len(), selected, choices.listing), (2, 1, false));
    assert_eq!(choices.error, Some(error));
}

#[test]
fn quit_sets_should_quit() {
    let mut s = state();
    update(&mut s, Action::Run(Command::Quit));
    assert!(s.should_quit);
}
