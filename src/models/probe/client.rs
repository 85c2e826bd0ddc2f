//! A running probe process and the protocol's lines: each request answered by one line, `<word> key=value ...`,
//! or `error <message>` on failure (`scripts/probe-protocol.md`). Every read has a deadline; a probe that
//! times out, ends, errs or answers the wrong word is marked broken, and dropping it kills it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use crate::models::wait_limit;

/// One reply line: its first word and its `key=value` fields.
pub struct Reply {
    pub line: String,
    pub word: String,
    pub fields: HashMap<String, String>,
}

impl Reply {
    pub fn parse(line: &str) -> Self {
        let mut words = line.split_whitespace();
        let word = words.next().unwrap_or("").to_string();
        let fields = words.filter_map(|w| w.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Self { line: line.to_string(), word, fields }
    }

    /// The count `key=` holds; an error when it is missing or not a count.
    pub fn num(&self, key: &str) -> Result<u64> {
        let v = self.fields.get(key).with_context(|| format!("no `{key}=` in the probe's reply `{}`", self.line))?;
        v.parse().with_context(|| format!("`{key}={v}` in the probe's reply `{}` is not a count", self.line))
    }

    /// [`Reply::num`] for a field a probe may leave out.
    pub fn opt_num(&self, key: &str) -> Result<Option<u64>> {
        self.fields.contains_key(key).then(|| self.num(key)).transpose()
    }
}

/// The `hello` line a probe prints when it starts: its pid and the fields its language's configuration reads.
#[derive(Debug, Clone, Default)]
pub struct Hello {
    pub pid: u32,
    pub fields: HashMap<String, String>,
}

impl Hello {
    /// The field `key` (present: [`Child::start`] checked every field the language asks for).
    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map_or("", String::as_str)
    }
}

/// A running probe process. Dropping it kills the process.
pub struct Child {
    /// The row the probe measures, for messages: `goroutine probe: ...`.
    who: &'static str,
    process: std::process::Child,
    stdin: Option<ChildStdin>,
    /// Lines of its stdout, read on a thread so that every read can have a deadline, and that thread.
    lines: Receiver<String>,
    stdout_reader: Option<std::thread::JoinHandle<()>>,
    /// The end of its stderr, for error messages when it dies, and the thread that collects it.
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    pub hello: Hello,
    /// Set when the process can no longer be trusted (timeout, EOF, error or unexpected reply).
    pub broken: bool,
}

impl Child {
    /// Starts a probe server with `cmd` and reads its `hello` line, which must hold `pid=` and every one of
    /// `fields`.
    pub fn start(mut cmd: Command, who: &'static str, fields: &[&str]) -> Result<Self> {
        let mut child = Self::spawn(cmd.stdin(Stdio::piped()), who)?;
        let r = child.read_reply("start", wait_limit(0))?;
        if r.word != "hello" {
            bail!("the {who} probe started with `{}`, expected `hello ...`", r.line);
        }
        if let Some(missing) = fields.iter().find(|k| !r.fields.contains_key(**k)) {
            bail!("no `{missing}=` in the {who} probe's hello `{}`", r.line);
        }
        child.hello = Hello { pid: r.num("pid")? as u32, fields: r.fields };
        Ok(child)
    }

    /// Starts `cmd` with its stdout and stderr piped (stdin as `cmd` says).
    pub fn spawn(cmd: &mut Command, who: &'static str) -> Result<Self> {
        let mut process = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting the {who} probe {:?}", cmd.get_program()))?;
        let stdout = process.stdout.take().expect("piped");
        let mut err_pipe = process.stderr.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        let stdout_reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let tail = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(k @ 1..) = err_pipe.read(&mut buf) {
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                t.push_str(&String::from_utf8_lossy(&buf[..k]));
                if t.len() > 8192 {
                    let mut cut = t.len() - 4096;
                    while !t.is_char_boundary(cut) {
                        cut += 1;
                    }
                    t.drain(..cut);
                }
            }
        });
        let stdin = process.stdin.take();
        let hello = Hello { pid: process.id(), fields: HashMap::new() };
        Ok(Self {
            who,
            process,
            stdin,
            lines,
            stdout_reader: Some(stdout_reader),
            stderr,
            stderr_reader: Some(stderr_reader),
            hello,
            broken: false,
        })
    }

    /// Sends `request`, waits at most `limit` for the reply, and checks that its first word is `expect`.
    pub fn request(&mut self, request: &str, expect: &str, limit: Duration) -> Result<Reply> {
        let stdin = self.stdin.as_mut().context("the probe has no stdin")?;
        if let Err(e) = stdin.write_all(format!("{request}\n").as_bytes()).and_then(|()| stdin.flush()) {
            self.broken = true;
            return Err(self.died(request, e.to_string()));
        }
        let r = self.read_reply(request, limit)?;
        if r.word != expect {
            self.broken = true;
            bail!("{} probe: `{request}` got `{}`, expected `{expect} ...`", self.who, r.line);
        }
        Ok(r)
    }

    /// The next line, within `limit`; an `error` line, EOF or a timeout is an error naming `request`.
    pub fn read_reply(&mut self, request: &str, limit: Duration) -> Result<Reply> {
        match self.lines.recv_timeout(limit) {
            Ok(line) => {
                let r = Reply::parse(&line);
                if r.word == "error" {
                    self.broken = true;
                    bail!("{} probe: `{request}` failed: {}", self.who, line.trim_start_matches("error").trim());
                }
                Ok(r)
            }
            Err(RecvTimeoutError::Timeout) => {
                self.broken = true;
                bail!("{} probe: no reply to `{request}` within {limit:?} (hung?)", self.who)
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.broken = true;
                Err(self.died(request, "its output ended".into()))
            }
        }
    }

    /// An error for a probe that went away while serving `request`, with its exit status and stderr.
    fn died(&mut self, request: &str, what: String) -> anyhow::Error {
        // The process is gone or going; give it a moment to be reaped so the status is known.
        let mut status = None;
        for _ in 0..50 {
            if let Ok(Some(s)) = self.process.try_wait() {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if status.is_some() {
            // It has exited, so its stderr is at EOF: wait for the last of it.
            let _ = self.stderr_reader.take().map(|t| t.join());
        }
        let stderr = self.stderr.lock().unwrap_or_else(|p| p.into_inner()).trim().to_string();
        let status = status.map_or("still running".into(), |s| s.to_string());
        anyhow!(
            "{} probe: `{request}`: {what} ({status}){}",
            self.who,
            if stderr.is_empty() { String::new() } else { format!("; stderr:\n{stderr}") }
        )
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // Closing stdin ends a healthy probe; kill covers a hung one.
        drop(self.stdin.take());
        let _ = self.process.kill();
        let _ = self.process.wait();
        // Its pipes are closed now (unless a process it started holds them): let the reader threads end, so
        // that none of a dropped probe's threads still runs (and allocates) during the next measurement.
        let deadline = Instant::now() + Duration::from_secs(1);
        for reader in [self.stdout_reader.take(), self.stderr_reader.take()].into_iter().flatten() {
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
    }
}
