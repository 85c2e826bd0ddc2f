//! The machine a run was made on ([`crate::machine`]), described for people: one line for headers, and
//! labelled fields in the order runs are compared.

pub use crate::machine::{lock_versions, machine_slug, project_dir, BuildFacts, Machine, TRACKED_CRATES};

impl Machine {
    /// One line for headers: `AMD EPYC, 2 cores (2 logical), 23.5 GiB, Linux 6.8.0, THP madvise`.
    pub fn one_line(&self) -> String {
        let cores = match self.physical_cores {
            Some(p) => format!("{p} cores ({} logical)", self.logical_cores),
            None => format!("{} logical cores", self.logical_cores),
        };
        let mut s = format!("{}, {cores}, {}, Linux {}", self.cpu_model, gib(self.memory_total_bytes), self.kernel);
        if self.available_parallelism != self.logical_cores {
            s.push_str(&format!(", {} usable by the process", self.available_parallelism));
        }
        if let Some(thp) = &self.transparent_hugepage {
            s.push_str(&format!(", THP {thp}"));
        }
        if let Some(rustc) = &self.rustc {
            s.push_str(&format!(", {}", rustc.split(" (").next().unwrap_or(rustc)));
        }
        s
    }

    /// Labelled values, in the order a reader wants them compared: hardware, kernel, toolchain, crates, source.
    pub fn fields(&self) -> Vec<(String, String)> {
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
        let number = |v: Option<u64>| or_dash(v.map(|v| v.to_string()));
        let commit = match (&self.git_commit, self.git_dirty) {
            (Some(c), Some(true)) => format!("{} (dirty)", short(c)),
            (Some(c), _) => short(c).to_string(),
            (None, _) => "-".to_string(),
        };
        let fields = [
            ("CPU", self.cpu_model.clone()),
            ("physical cores", or_dash(self.physical_cores.map(|c| c.to_string()))),
            ("logical cores", self.logical_cores.to_string()),
            ("usable cores", self.available_parallelism.to_string()),
            ("memory", gib(self.memory_total_bytes)),
            ("cgroup memory limit", or_dash(self.cgroup_memory_limit_bytes.map(gib))),
            ("arch", self.arch.clone()),
            ("OS", or_dash(self.os.clone())),
            ("kernel", self.kernel.clone()),
            ("transparent huge pages", or_dash(self.transparent_hugepage.clone())),
            ("vm.max_map_count", number(self.vm_max_map_count)),
            ("kernel.pid_max", number(self.kernel_pid_max)),
            ("kernel.threads-max", number(self.kernel_threads_max)),
            ("ulimit -u", or_dash(self.ulimit_nproc.clone())),
            ("rustc", or_dash(self.rustc.clone())),
            ("build profile", self.build_profile.clone()),
            ("go", or_dash(self.go.clone())),
        ];
        // The tracked crates in their order (`-` where absent), then any other crate the file names.
        let tracked = TRACKED_CRATES.iter().map(|name| (*name, or_dash(self.crates.get(*name).cloned())));
        let others = self.crates.iter().filter(|(name, _)| !TRACKED_CRATES.contains(&name.as_str()));
        let crates = tracked.chain(others.map(|(name, v)| (name.as_str(), v.clone())));
        let mut out: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        out.extend(crates.map(|(name, v)| (format!("crate {name}"), v)));
        out.push(("git commit".to_string(), commit));
        out.push(("date".to_string(), self.date.clone()));
        out
    }
}

/// Bytes as GiB with one decimal.
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// A commit's first 12 hex digits, as every renderer shows it.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
