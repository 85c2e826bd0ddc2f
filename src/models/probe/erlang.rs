//! `erlang`: a BEAM process per task, run by `scripts/erlang/probe.erl` (one module, OTP only), compiled once
//! per source and OTP with the `erlc` on `PATH` and run with its `erl -noshell`, default VM flags but `+P`.
//!
//! What is measured, inside the VM with its own clock (`erlang:monotonic_time`):
//! - heap: `erlang:memory(processes) + erlang:memory(binary)` after `erlang:garbage_collect/1` on every process,
//!   with all N parked, less the same reading before the spawn. A process's stack and heap share one block, so
//!   there is no separate stack figure; the figure includes the probe's list of the N pids (16 B per task).
//! - RSS and the kernel's share: read from outside, from the VM's pid, as for every probe.
//! - spawn: `spawn/1` in a loop in the probe's process; each process counts itself and waits for a `go`
//!   message (BEAM has no shared wait point, so the gate is one message per process, sent by `release`).
//! - holding K bytes: each process makes its own K-byte binary of 0x5a, read back after release; over 64 bytes
//!   a binary is reference-counted off the process heap, hence `memory(binary)` in the heap figure.
//! - handoff: the token is a message to the next pid of the ring; yield: `erlang:yield()`.
//!
//! Not measured: N above the process limit, [`MAX_PROCESSES`] (`+P`) less the VM's own processes: the preflight
//! skips those cells with one line ([`PROCESS_LIMIT`]), and the probe would refuse them with an error.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::build::{run_build, scripts_dir, Toolchain};
use super::{Hello, Language, ProbeModel};
use crate::limits::{Needs, RuntimeCap};
use crate::models::SpawnSite;

/// The line [`crate::models::TaskModel::available`] returns when `erl` or `erlc` is not on `PATH`.
pub const ERLANG_MISSING: &str =
    "no Erlang found: install it (e.g. `apt-get install erlang-base`) to include the erlang rows";

/// `+P`: BEAM's default process limit is 262,144; 2^21 covers the default N of 10^6 and the VM itself.
pub const MAX_PROCESSES: u32 = 1 << 21;

/// [`MAX_PROCESSES`] for the preflight: N above it less the VM's own processes (38 at start under `-noshell`,
/// OTP 25; the probe keeps 16 more spare) is skipped before the probe starts.
pub const PROCESS_LIMIT: RuntimeCap = RuntimeCap {
    name: "BEAM's process limit +P",
    value: MAX_PROCESSES as u64,
    reserve: 1024,
    unit: "processes",
    how_to_raise: "the erlang row starts `erl +P MAX_PROCESSES` (src/models/probe/erlang.rs); raise MAX_PROCESSES \
                   there, up to 134217727",
};

pub static ERLANG: Language = Language {
    name: "erlang",
    tasks: "processes",
    source_dir: |_| scripts_dir("erlang"),
    is_source: |name| name.ends_with(".erl"),
    find: || find_otp(&std::env::var_os("PATH").unwrap_or_default()),
    build: |tc, src, out| {
        run_build(Command::new(tc.path.join("erlc")).arg("-o").arg(out).arg("probe.erl").current_dir(src))
    },
    built: "probe.beam",
    command: |tc, dir| {
        let mut cmd = Command::new(tc.path.join("erl"));
        cmd.arg("-noshell").arg("+P").arg(MAX_PROCESSES.to_string()).arg("-pa").arg(dir).args(["-s", "probe", "main"]);
        cmd
    },
    hello: &["otp", "erts", "schedulers", "process_limit"],
    config,
    caveat: "a separate BEAM VM: Erlang's clock; heap is memory(processes) + memory(binary) after a GC of every \
             process (a process's stack is in its heap block); a task's K bytes are a K-byte binary",
    spawn_site: SpawnSite::Inside,
    // ~2.7 KB per fresh process (338 words); 8 KiB leaves room for RSS above it and the 4 KiB held binaries.
    needs: Needs { runtime_cap: Some(PROCESS_LIMIT), ..Needs::IN_CHILD_PROCESS },
};

/// The `erlang` row.
pub static MODEL: ProbeModel = ProbeModel::new(&ERLANG);

fn config(h: &Hello, hash: &str) -> String {
    format!(
        "OTP {} (erts {}), {} schedulers, +P {}; parked in receive, gate a message per process, ring token a \
         message; child process (probe {hash}), fresh process per memory reading",
        h.get("otp"),
        h.get("erts"),
        h.get("schedulers"),
        h.get("process_limit")
    )
}

/// The OTP whose `erl` and `erlc` are on `path_var` (a `PATH` value): its release and system version line.
pub fn find_otp(path_var: &std::ffi::OsStr) -> Result<Toolchain, String> {
    let bin: PathBuf = std::env::split_paths(path_var)
        .find(|d| d.join("erl").is_file() && d.join("erlc").is_file())
        .ok_or_else(|| ERLANG_MISSING.to_string())?;
    let erl = bin.join("erl");
    let eval = "io:put_chars([erlang:system_info(otp_release), 10, erlang:system_info(system_version)]), halt().";
    let out = Command::new(&erl)
        .args(["-noshell", "-eval", eval])
        .output()
        .map_err(|e| format!("running {}: {e}", erl.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let version = lines.next().unwrap_or("").trim().to_string();
    if !out.status.success() || version.is_empty() {
        return Err(format!(
            "{} printed no OTP release: {}",
            erl.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let version_line = lines.next().unwrap_or("").trim().to_string();
    Ok(Toolchain { path: Path::new(&bin).to_path_buf(), version, version_line, env: Vec::new() })
}
