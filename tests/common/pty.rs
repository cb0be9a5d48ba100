//! Drives the real opsdeck binary in a pseudo-terminal and reads its screen through vt100.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub struct PtyApp {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    /// Says when the reader has read everything the program wrote.
    reader_done: std::sync::mpsc::Receiver<()>,
    _home: tempfile::TempDir,
}

impl PtyApp {
    /// Starts `opsdeck ARGS` at `cols`x`rows` with an empty HOME (no user config).
    pub fn start(args: &[&str], cols: u16, rows: u16) -> PtyApp {
        let home = tempfile::tempdir().expect("temp HOME");
        Self::start_in(args, cols, rows, home)
    }

    /// Starts `opsdeck ARGS` with extra environment (e.g. credentials for an emulator).
    pub fn start_env(args: &[&str], cols: u16, rows: u16, env: &[(&str, String)]) -> PtyApp {
        let home = tempfile::tempdir().expect("temp HOME");
        Self::spawn(args, cols, rows, home, env)
    }

    pub fn start_in(args: &[&str], cols: u16, rows: u16, home: tempfile::TempDir) -> PtyApp {
        Self::spawn(args, cols, rows, home, &[])
    }

    fn spawn(
        args: &[&str],
        cols: u16,
        rows: u16,
        home: tempfile::TempDir,
        env: &[(&str, String)],
    ) -> PtyApp {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_opsdeck"));
        cmd.args(args);
        cmd.env("HOME", home.path());
        cmd.env("XDG_CONFIG_HOME", home.path().join(".config"));
        cmd.env("XDG_STATE_HOME", home.path().join(".state"));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("AWS_PROFILE");
        cmd.env_remove("AWS_ENDPOINT_URL");
        for (name, value) in env {
            cmd.env(name, value);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn opsdeck");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (screen_in, raw_in) = (screen.clone(), raw.clone());
        let (drained, reader_done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Ends at EOF, or EIO once the program has exited and closed its side.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen_in.lock().unwrap().process(&buf[..n]);
                raw_in.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            let _ = drained.send(());
        });
        PtyApp {
            master: pty.master,
            writer,
            child,
            screen,
            raw,
            reader_done,
            _home: home,
        }
    }

    pub fn home(&self) -> &Path {
        self._home.path()
    }

    /// The screen as text, one line per row.
    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Everything the program wrote, escape sequences included.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    /// Waits until `predicate(screen)` holds; panics with the screen after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, predicate: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.contents();
            if predicate(&screen) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_for_text(&self, text: &str, timeout: Duration) {
        self.wait_for(&format!("{text:?}"), timeout, |s| s.contains(text));
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
        self.screen.lock().unwrap().set_size(nz(rows), nz(cols));
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> u32 {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // What it wrote last (leaving the alternate screen) may still be in the pty:
                // read to the end before anyone looks at `raw`.
                let _ = self
                    .reader_done
                    .recv_timeout(deadline.saturating_duration_since(Instant::now()));
                return status.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("opsdeck did not exit; screen:\n{}", self.contents());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

impl PtyApp {
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Sends the program a signal, as `kill -s NAME` would.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = self.pid().expect("the program is running") as i32;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).expect("kill");
    }

    /// Whether the terminal is back in the mode a shell expects: line editing and echo on
    /// (raw mode turns both off).
    pub fn terminal_is_cooked(&self) -> bool {
        use nix::sys::termios::LocalFlags;
        let termios = self.master.get_termios().expect("the pty's terminal modes");
        termios
            .local_flags
            .contains(LocalFlags::ICANON | LocalFlags::ECHO)
    }
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n.max(1)).expect("at least 1")
}
