//! The harness tested against a real guest: every failure mode it promises to
//! catch is provoked in QEMU and must be reported as what it is.
//!
//! These boot the cached modless kernel (building it first if needed), so a
//! plain `cargo test` leaves them ignored; scripts/test.sh runs them.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Runs modless-qemu with `args` and returns its exit status and JSON report.
fn boot(args: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_modless-qemu"))
        .arg("--json")
        .arg(&json)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("modless-qemu runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text = std::fs::read_to_string(&json)
        .unwrap_or_else(|e| panic!("no report at {} ({e}); stderr:\n{stderr}", json.display()));
    eprintln!("{stderr}");
    let mut all: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        all["runs"].as_array().map(Vec::len),
        Some(1),
        "one boot: {all:#}"
    );
    (out.status.code().expect("exited"), all["runs"][0].take())
}

fn lkdtm(crash: &str) -> String {
    format!("echo {crash} > /sys/kernel/debug/provoke-crash/DIRECT")
}

fn causes(report: &Value) -> Vec<String> {
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| match f["cause"].as_str().unwrap() {
            "splat" => format!("splat:{}", f["kind"].as_str().unwrap()),
            other => other.to_string(),
        })
        .collect()
}

fn statuses(report: &Value) -> Vec<&str> {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect()
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn pass_fail_and_skip_are_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    std::fs::write(
        &suite,
        r#"
[[test]]
name = "passes"
run = "echo fine"
[[test]]
name = "fails"
run = "echo broken >&2; exit 3"
[[test]]
name = "skips"
run = "exit 77"
[[test]]
name = "a failing line fails the script, though the last line passes"
run = """
false
echo after
"""
[[test]]
name = "the guest knows the topology it was asked for"
run = "test \"$modless_cpus $modless_nodes\" = '4 2'"
"#,
    )
    .unwrap();
    let (code, r) = boot(&["--numa", "2x2", "--suite", suite.to_str().unwrap()]);
    assert_eq!(
        statuses(&r),
        ["pass", "fail", "skip", "fail", "pass"],
        "{r:#}"
    );
    assert_eq!(r["tests"][3]["exit_code"], 1);
    assert!(!r["tests"][3]["output"].as_str().unwrap().contains("after"));
    assert_eq!(r["tests"][1]["exit_code"], 3);
    assert!(r["tests"][1]["output"].as_str().unwrap().contains("broken"));
    assert!(causes(&r).is_empty(), "{r:#}");
    assert_eq!(code, 1, "a failing test fails the run");
    assert!(Path::new(r["console_log"].as_str().unwrap()).is_file());
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn the_commands_exit_status_reaches_the_host() {
    let (code, r) = boot(&[
        "--",
        "sh",
        "-c",
        "test \"$(pwd)\" = \"$0\" && exit 7",
        env!("CARGO_MANIFEST_DIR"),
    ]);
    assert_eq!(code, 7, "{r:#}");
    let (code, _) = boot(&["--", "true"]);
    assert_eq!(code, 0);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_program_under_tmp_runs_as_on_the_host_read_only() {
    // The guest covers /tmp with a tmpfs; the named program's directory shows through.
    let dir = tempfile::Builder::new().tempdir_in("/tmp").unwrap();
    let prog = dir.path().join("prog");
    std::fs::write(dir.path().join("data"), "payload\n").unwrap();
    std::fs::write(
        &prog,
        "#!/bin/sh\n\
         here=$(dirname \"$0\")\n\
         cat \"$here/data\" || exit 1\n\
         echo scratch >/tmp/scratch && test \"$(cat /tmp/scratch)\" = scratch || exit 2\n\
         touch \"$here/new\" 2>/dev/null && exit 3\n\
         exit 7\n",
    )
    .unwrap();
    std::fs::set_permissions(&prog, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (code, r) = boot(&["--", prog.to_str().unwrap()]);
    let out = r["tests"][0]["output"].as_str().unwrap();
    assert!(out.contains("payload"), "{r:#}");
    assert_eq!(
        code, 7,
        "neighbours visible, /tmp writable, the view read-only: {r:#}"
    );
    assert!(!dir.path().join("new").exists());
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn hung_task_timeouts_from_the_suite_and_the_test_apply_in_the_guest() {
    let knob = "/proc/sys/kernel/hung_task_timeout_secs";
    let is = |v: &str| format!("v=$(cat {knob}); echo $v; test $v = {v}");
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    let write = |text: String| std::fs::write(&suite, text).unwrap();

    write(format!(
        "[guest]\nhung_task_timeout = 123\n\
         [[test]]\nname = \"suite's\"\nrun = \"{}\"\n\
         [[test]]\nname = \"own\"\nhung_task_timeout = 456\nrun = \"{}\"\n\
         [[test]]\nname = \"suite's again\"\nrun = \"{}\"\n",
        is("123"),
        is("456"),
        is("123")
    ));
    let (code, r) = boot(&["--suite", suite.to_str().unwrap()]);
    assert_eq!(statuses(&r), ["pass", "pass", "pass"], "{r:#}");
    assert_eq!(code, 0);

    // Without a suite value, the kernel's own comes back after the test that set one.
    write(format!(
        "[[test]]\nname = \"boot value\"\nrun = \"cat {knob} >/tmp/boot; test $(cat /tmp/boot) != 789\"\n\
         [[test]]\nname = \"own\"\nhung_task_timeout = 789\nrun = \"{}\"\n\
         [[test]]\nname = \"restored\"\nrun = \"{}\"\n",
        is("789"),
        is("$(cat /tmp/boot)")
    ));
    let (code, r) = boot(&["--suite", suite.to_str().unwrap()]);
    assert_eq!(statuses(&r), ["pass", "pass", "pass"], "{r:#}");
    assert_eq!(code, 0);

    // A command sets the boot value, as the README says.
    let (code, r) = boot(&[
        "--append",
        "sysctl.kernel.hung_task_timeout_secs=321",
        "--",
        "sh",
        "-c",
        &is("321"),
    ]);
    assert_eq!(code, 0, "{r:#}");
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_panic_fails_the_run() {
    let (code, r) = boot(&["--", "sh", "-c", "echo c > /proc/sysrq-trigger"]);
    assert_eq!(code, 125);
    assert!(causes(&r).contains(&"splat:panic".to_string()), "{r:#}");
    assert_eq!(statuses(&r), ["not-run"]);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn an_oops_fails_the_run() {
    let (code, r) = boot(&["--", "sh", "-c", &lkdtm("EXCEPTION")]);
    assert_eq!(code, 125);
    let c = causes(&r);
    assert!(
        c.iter().any(|c| c == "splat:oops" || c == "splat:bug"),
        "{r:#}"
    );
    assert_eq!(r["failures"][0]["during_test"], 0);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_warning_fails_a_test_that_exited_zero() {
    let (code, r) = boot(&["--", "sh", "-c", &lkdtm("WARNING")]);
    assert_eq!(statuses(&r), ["pass"], "the test itself exits 0");
    assert_eq!(causes(&r), ["splat:warn"], "{r:#}");
    assert_eq!(code, 125);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_warning_is_named_after_the_log_buffer_wrapped_past_it() {
    // 2000 records of 200-odd bytes at level 6 (kept off the console):
    // over 400 KiB through the guest's 128 KiB log buffer.
    let script = format!(
        "{}; pad=$(printf '%0200d' 0); i=0; \
         while [ $i -lt 2000 ]; do echo \"<6>flood $i $pad\"; i=$((i + 1)); done >/dev/kmsg",
        lkdtm("WARNING")
    );
    let (code, r) = boot(&["--", "sh", "-c", &script]);
    assert_eq!(statuses(&r), ["pass"], "the test itself exits 0: {r:#}");
    let run_dir = Path::new(r["console_log"].as_str().unwrap())
        .parent()
        .unwrap();
    let kmsg = std::fs::read_to_string(run_dir.join("kmsg.log")).unwrap();
    assert!(
        kmsg.contains("flood 1999") && !kmsg.contains("lkdtm_WARNING"),
        "the flood must have pushed the warning out of the kernel log"
    );
    // Should the console have dropped flood records too, that is said as well.
    let named: Vec<String> = causes(&r).into_iter().filter(|c| c != "log-lost").collect();
    assert_eq!(named, ["splat:warn"], "{r:#}");
    assert_eq!(r["failures"][0]["during_test"], 0);
    assert_eq!(code, 125);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn console_drops_past_a_wrapped_log_fail_the_run() {
    // The same flood at warning level goes to the console too, which
    // falls behind and drops records (under TCG it does, by far).
    let (code, r) = boot(&[
        "--",
        "sh",
        "-c",
        "pad=$(printf '%0200d' 0); i=0; \
         while [ $i -lt 2000 ]; do echo \"<4>flood $i $pad\"; i=$((i + 1)); done >/dev/kmsg",
    ]);
    let run_dir = Path::new(r["console_log"].as_str().unwrap())
        .parent()
        .unwrap();
    let console = std::fs::read_to_string(run_dir.join("console.log")).unwrap();
    let kmsg = std::fs::read_to_string(run_dir.join("kmsg.log")).unwrap();
    assert!(!kmsg.contains("Linux version"), "the log wrapped");
    if console.contains("printk messages dropped") {
        assert_eq!(causes(&r), ["log-lost"], "{r:#}");
        assert_eq!(code, 125);
    } else {
        // Nothing was lost from both records: the run stands.
        assert!(causes(&r).is_empty(), "{r:#}");
        assert_eq!(code, 0);
    }
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_ubsan_report_fails_the_run() {
    let (code, r) = boot(&["--", "sh", "-c", &lkdtm("ARRAY_BOUNDS")]);
    assert!(causes(&r).contains(&"splat:ubsan".to_string()), "{r:#}");
    assert_eq!(code, 125);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_hang_is_killed_at_the_timeout() {
    let (code, r) = boot(&["--timeout", "30", "--", "sleep", "1000"]);
    assert_eq!(code, 124);
    assert_eq!(causes(&r), ["timeout"], "{r:#}");
    assert_eq!(statuses(&r), ["not-run"]);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_guest_that_stops_before_the_end_marker_fails() {
    let (code, r) = boot(&["--", "sh", "-c", "echo b > /proc/sysrq-trigger; sleep 5"]);
    assert_eq!(code, 125);
    assert_eq!(causes(&r), ["early-exit"], "{r:#}");
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_soft_lockup_is_named() {
    let (code, r) = boot(&[
        "--timeout",
        "45",
        "--append",
        "watchdog_thresh=1",
        "--",
        "sh",
        "-c",
        &lkdtm("SOFTLOCKUP"),
    ]);
    assert!(
        causes(&r).contains(&"splat:soft-lockup".to_string()),
        "{r:#}"
    );
    assert_ne!(code, 0);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_hung_task_is_named() {
    let script = format!(
        "echo 2 > /proc/sys/kernel/hung_task_timeout_secs; {}",
        lkdtm("HUNG_TASK")
    );
    let (code, r) = boot(&["--timeout", "45", "--", "sh", "-c", &script]);
    assert!(causes(&r).contains(&"splat:hung-task".to_string()), "{r:#}");
    assert_ne!(code, 0);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_boot_that_never_reaches_userspace_is_retried_then_fails() {
    // init=/bin/sleep replaces the harness's init: the guest never says it is up.
    let (code, r) = boot(&[
        "--boot-timeout",
        "12",
        "--append",
        "init=/bin/sleep -- 1000",
        "--",
        "true",
    ]);
    assert_eq!(code, 125);
    assert_eq!(causes(&r), ["boot-hang"], "{r:#}");
    assert_eq!(
        r["boot_hangs"].as_array().map(Vec::len),
        Some(1),
        "one retry: {r:#}"
    );
    assert_eq!(statuses(&r), ["not-run"]);
}

#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn keep_leaves_the_run_directory_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_modless-qemu"))
        .arg("--json")
        .arg(&json)
        .args(["--keep", "--", "sh", "-c", "echo kept-output; exit 3"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("modless-qemu runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let said = stderr
        .lines()
        .find_map(|l| l.strip_prefix("[qemu] run directory kept: "))
        .unwrap_or_else(|| panic!("no kept directory named:\n{stderr}"));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["runs"][0]["run_dir"].as_str(), Some(said));
    let run = Path::new(said);
    let read = |f: &str| std::fs::read_to_string(run.join(f)).unwrap_or_default();
    assert!(run.join("kept").is_file(), "marked against pruning");
    assert!(read("out/0.log").contains("kept-output"), "{said}");
    assert!(read("results").starts_with("0 3 "), "{}", read("results"));
    assert!(read("console.log").contains("MODLESS-DONE"), "{said}");
    assert!(read("kmsg.log").contains("Linux version"), "{said}");
    assert!(
        read("qemu.cmd").starts_with("qemu-system-x86_64 "),
        "{said}"
    );
    std::fs::remove_dir_all(run).unwrap();
}

/// Two things init does for speed that must not change what a run sees:
/// module autoloading (the host's modprobe, run for bpffs's mount) is off
/// only when the guest kernel has no module tree to load from, bpffs is
/// mounted all the same, and the kernel log copied at the end (by busybox,
/// with `printk.time=1`) is whole, each line stamped with its time.
#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn autoloading_is_off_without_a_module_tree_and_the_log_is_stamped() {
    let (code, r) = boot(&[
        "--",
        "sh",
        "-c",
        "m=$(cat /proc/sys/kernel/modprobe); \
         if [ -d /lib/modules/$(uname -r) ]; then [ -n \"$m\" ] || exit 3; \
         else [ -z \"$m\" ] || exit 4; fi; \
         grep -q ' /sys/fs/bpf bpf ' /proc/mounts || exit 5",
    ]);
    assert_eq!(code, 0, "{r:#}");
    let run_dir = Path::new(r["console_log"].as_str().unwrap())
        .parent()
        .unwrap();
    let kmsg = std::fs::read_to_string(run_dir.join("kmsg.log")).unwrap();
    let stamped = |l: &&str| {
        l.strip_prefix('[')
            .and_then(|l| l.split_once("] "))
            .is_some_and(|(t, _)| t.trim().parse::<f64>().is_ok())
    };
    let first = kmsg.lines().next().unwrap_or_default();
    assert!(
        first.contains("Linux version") && stamped(&first),
        "{first}"
    );
    let markers: Vec<&str> = kmsg.lines().filter(|l| l.contains("MODLESS-")).collect();
    assert!(
        markers.len() >= 3 && markers.iter().all(stamped),
        "{markers:#?}"
    );
}

/// `--tcg-threads single` (a suite's `tcg_threads`): every vCPU on one host
/// thread, all of them online in the guest, and the report says so.
#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn one_tcg_thread_runs_every_vcpu_and_says_so() {
    let (code, r) = boot(&[
        "--accel",
        "tcg",
        "--tcg-threads",
        "single",
        "--cpus",
        "4",
        "--",
        "sh",
        "-c",
        "test \"$(nproc)\" = 4",
    ]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["accel"], "TCG (software emulation, one thread)", "{r:#}");
    let cmd = std::fs::read_to_string(Path::new(r["run_dir"].as_str().unwrap()).join("qemu.cmd"))
        .unwrap();
    assert!(cmd.contains(" -accel tcg,thread=single "), "{cmd}");
}

/// `--shell` through a pseudo-terminal, as a user at a terminal: a prompt,
/// output of what was typed, TERM and the cwd from the host, job control,
/// Ctrl-C reaching the guest's foreground job, and the shell's exit status
/// becoming the run's.
#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn the_shell_is_a_terminal_session_that_returns_its_status() {
    let cwd = env!("CARGO_MANIFEST_DIR");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modless-qemu"));
    cmd.arg("--shell")
        .current_dir(cwd)
        .env("TERM", "xterm-256color");
    // TCG boots take 10-40 s on a busy host.
    let mut p = rexpect::session::spawn_command(cmd, Some(180_000)).unwrap();
    p.exp_string("(modless guest) ").unwrap();
    p.send_line("echo sum=$((6*7)) term=$TERM cwd=$(pwd) tty=$(tty)")
        .unwrap();
    p.exp_string(&format!(
        "sum=42 term=xterm-256color cwd={cwd} tty=/dev/ttyS0"
    ))
    .unwrap();
    p.send_line("sleep 100 & jobs").unwrap();
    p.exp_regex(r"\[1\]\+ +Running +sleep 100").unwrap();
    p.send_line("kill %1").unwrap();
    // Expected output is computed in the guest, so the echo of the typed line cannot match it.
    p.send_line(
        r#"sh -c 'trap "echo sig=\$((100+30)); exit 3" INT; echo ready=$((40+2)); while :; do sleep 1; done'"#,
    )
    .unwrap();
    p.exp_string("ready=42").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("sig=130").unwrap();
    p.send_line("echo rc=$?; exit 5").unwrap();
    p.exp_string("rc=3").unwrap();
    p.exp_string("MODLESS-DONE").unwrap();
    let status = p.process().wait().unwrap();
    let rexpect::process::WaitStatus::Exited(_, code) = status else {
        panic!("modless-qemu ended with {status:?}")
    };
    assert_eq!(code, 5, "the shell's exit status is the run's");
}

/// What CI renders: the JUnit file of a real boot, where a kernel WARNING
/// fails the test it happened in although that test exited 0.
#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn junit_names_each_outcome_and_the_test_a_splat_happened_in() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("ci.toml");
    std::fs::write(
        &suite,
        format!(
            "[[test]]\nname = \"passes\"\nrun = \"echo fine\"\n\
             [[test]]\nname = \"warns\"\nrun = \"{}\"\n\
             [[test]]\nname = \"fails\"\nrun = \"exit 3\"\n\
             [[test]]\nname = \"skips\"\nrun = \"exit 77\"\n",
            lkdtm("WARNING")
        ),
    )
    .unwrap();
    let xml_path = dir.path().join("junit.xml");
    let (code, _) = boot(&[
        "--junit",
        xml_path.to_str().unwrap(),
        "--suite",
        suite.to_str().unwrap(),
    ]);
    assert_eq!(code, 125, "the splat fails the run");
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let ts = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(ts.attribute("name"), Some("ci"));
    assert_eq!(
        ["tests", "failures", "errors", "skipped"].map(|a| ts.attribute(a).unwrap()),
        ["5", "2", "0", "1"],
        "{xml}"
    );
    let outcome = |name: &str| -> Vec<String> {
        let case = ts
            .children()
            .find(|n| n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name}:\n{xml}"));
        case.children()
            .filter(|c| c.is_element() && c.tag_name().name() != "system-out")
            .map(|c| {
                format!(
                    "{}:{}",
                    c.tag_name().name(),
                    c.attribute("type").unwrap_or("")
                )
            })
            .collect()
    };
    assert!(outcome("passes").is_empty(), "{xml}");
    assert_eq!(outcome("warns"), ["failure:kernel"], "{xml}");
    assert_eq!(outcome("fails"), ["failure:test"], "{xml}");
    assert_eq!(outcome("skips"), ["skipped:"], "{xml}");
}

/// `--gdb`: the printed command line, run as printed (plus batch commands),
/// attaches to the paused guest, stops in the function the guest command
/// calls, and prints a backtrace with symbol names; detached, the guest
/// finishes the command.
#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn gdb_attaches_breaks_where_the_command_goes_and_names_the_frames() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let mut qemu = Command::new(env!("CARGO_BIN_EXE_modless-qemu"))
        .args(["--gdb", &port, "--timeout", "400", "--json"])
        .arg(&json)
        .args(["--", "cat", "/proc/version"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(qemu.stderr.take().unwrap()).lines();
    let gdb_line = stderr
        .by_ref()
        .map(Result::unwrap)
        .inspect(|l| eprintln!("{l}"))
        .find_map(|l| l.strip_prefix("  gdb ").map(|rest| format!("gdb {rest}")))
        .expect("modless-qemu prints the gdb command line");
    let drain = std::thread::spawn(move || stderr.map_while(Result::ok).collect::<Vec<_>>());
    assert!(gdb_line.contains("/vmlinux"), "{gdb_line}");
    // QEMU may not be listening yet when the line is printed.
    let mut out = String::new();
    for _ in 0..30 {
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{gdb_line} -nx -batch -ex 'hbreak version_proc_show' -ex continue -ex bt \
                 -ex delete -ex detach"
            ))
            .output()
            .expect("gdb runs (apt-get install gdb)");
        out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        if !out.contains("Connection refused") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    assert!(out.contains("hit Breakpoint 1, version_proc_show"), "{out}");
    let frames: Vec<&str> = out.lines().filter(|l| l.starts_with('#')).collect();
    assert!(frames[0].starts_with("#0  version_proc_show"), "{out}");
    assert!(
        frames.iter().any(|f| f.contains(" in seq_read_iter ")),
        "the caller is named: {out}"
    );
    let status = qemu.wait().unwrap();
    let log = drain.join().unwrap().join("\n");
    assert_eq!(status.code(), Some(0), "{log}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let output = report["runs"][0]["tests"][0]["output"].as_str().unwrap();
    assert!(output.starts_with("Linux version"), "{output}");
}

/// `--matrix`: the cells that run boot (one per topology), a failing cell
/// fails the run, and a cell the file says cannot run is reported with its
/// reason (table, JSON, JUnit) without its kernel ever being built.
#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_matrix_runs_its_cells_and_reports_the_others_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    std::fs::write(
        p("shape.toml"),
        "[[test]]\nname = \"the asked CPUs\"\nrun = \"test $(nproc) = $modless_cpus\"\n",
    )
    .unwrap();
    std::fs::write(
        p("bad.toml"),
        "[[test]]\nname = \"fails\"\nrun = \"exit 3\"\n",
    )
    .unwrap();
    std::fs::write(
        p("m.toml"),
        format!(
            r#"
kernels = [
  {{ name = "7.3", build = "7.3" }},
  {{ name = "never", build = "0.0-no-such-source" }},
]
suites = [
  {{ name = "shape", file = "{shape}" }},
  {{ name = "bad", file = "{bad}" }},
]
cells = [
  {{ suite = "shape", kernel = "7.3", topologies = ["1", "2x1"] }},
  {{ suite = "bad", kernel = "7.3" }},
  {{ suite = "shape", kernel = "never", unsupported = "no such kernel source" }},
  {{ suite = "bad", kernel = "never", left_out = "CI time" }},
]
"#,
            shape = p("shape.toml").display(),
            bad = p("bad.toml").display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_modless-qemu"))
        .arg("--matrix")
        .arg(p("m.toml"))
        .arg("--json")
        .arg(p("r.json"))
        .arg("--junit")
        .arg(p("j.xml"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert_eq!(out.status.code(), Some(1), "the failing cell fails the run");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(p("r.json")).unwrap()).unwrap();
    let cells: Vec<String> = report["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c["suite"].as_str().unwrap(),
                c["kernel"].as_str().unwrap(),
                c["topology"].as_str().unwrap_or("-"),
                c["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        cells,
        [
            "shape 7.3 1 pass",
            "shape 7.3 2x1 pass",
            "bad 7.3 - fail",
            "shape never - unsupported",
            "bad never - left-out"
        ],
        "{report:#}"
    );
    let topologies: Vec<&str> = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["topology"].as_str().unwrap())
        .collect();
    assert!(
        topologies[0].starts_with("1 CPU,") && topologies[1].contains("2 NUMA nodes x 1"),
        "{topologies:?}"
    );
    assert!(
        stderr.contains("unsupported [")
            && stderr.contains("shape on never: no such kernel source"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nmatrix: 1 passed, 1 failed\n"),
        "{stderr}"
    );
    let xml = std::fs::read_to_string(p("j.xml")).unwrap();
    assert!(
        xml.contains("<skipped message=\"unsupported: no such kernel source\"/>")
            && xml.contains("<skipped message=\"left out: CI time\"/>"),
        "{xml}"
    );
}

/// A run restores its kernel's saved boot (saved by the first run of that
/// kernel and topology) and sees what a booted guest sees: its own working
/// and run directories, the host's time, randomness of its own; its exit
/// status and a splat reach the host as from a boot. `--cold-boot` boots.
#[test]
#[ignore = "boots the built kernel in QEMU: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_restored_run_is_judged_as_a_booted_one() {
    let look = "date +%s; cat /proc/sys/kernel/random/uuid; pwd; exit 7";
    let runs: Vec<(i32, Value)> = (0..2)
        .map(|_| boot(&["--cpus", "2", "--", "sh", "-c", look]))
        .collect();
    let mut uuids = Vec::new();
    for (code, r) in &runs {
        assert_eq!(*code, 7, "{r:#}");
        assert!(r["restored"].is_string(), "restored, not booted: {r:#}");
        let out = r["tests"][0]["output"].as_str().unwrap();
        let lines: Vec<&str> = out.lines().collect();
        let [guest_time, uuid, pwd] = lines[..] else {
            panic!("{out}")
        };
        let host_time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let guest_time: u64 = guest_time.parse().unwrap();
        assert!(
            host_time.abs_diff(guest_time) < 120,
            "guest clock {guest_time}, host {host_time}"
        );
        assert_eq!(pwd, env!("CARGO_MANIFEST_DIR"));
        uuids.push(uuid.to_string());
    }
    assert_ne!(uuids[0], uuids[1], "two restores, one entropy pool");
    assert_ne!(runs[0].1["run_dir"], runs[1].1["run_dir"]);

    let (code, r) = boot(&["--cpus", "2", "--", "sh", "-c", &lkdtm("WARNING")]);
    assert!(r["restored"].is_string(), "{r:#}");
    assert_eq!(causes(&r), ["splat:warn"], "{r:#}");
    assert_eq!(code, 125);

    let (code, r) = boot(&["--cpus", "2", "--cold-boot", "--", "true"]);
    assert_eq!(code, 0, "{r:#}");
    assert!(r.get("restored").is_none(), "booted: {r:#}");
}
