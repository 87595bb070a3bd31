//! Commit signatures made the way git makes them, with the user's own signing program and key, so a
//! repo with `commit.gpgsign = true` gets commits `git verify-commit` accepts.
//!
//! - `gpg.format = openpgp` (default): `gpg --status-fd=2 -bsau KEY`, the commit on stdin, the
//!   armoured signature on stdout. KEY is `user.signingkey`, else the committer's `Name <email>`.
//! - `gpg.format = x509`: the same with `gpgsm`.
//! - `gpg.format = ssh`: `ssh-keygen -Y sign -n git -f KEY FILE` writes `FILE.sig`. KEY is a key file,
//!   or a literal public key (`ssh-ed25519 AAAA...` or `key::...`) whose private half the agent holds.

use anyhow::{Context, Result, bail};
use git2::{Config, Signature};
use std::io::Write;
use std::process::{Command, Stdio};

/// Signs a commit as git would; `home` is what a key path `~/...` in git's config starts from.
pub fn sign(
    config: &Config,
    buffer: &str,
    committer: &Signature,
    home: Option<&std::path::Path>,
) -> Result<String> {
    let format = config
        .get_string("gpg.format")
        .unwrap_or_else(|_| "openpgp".into());
    let key = config.get_string("user.signingkey").ok();
    match format.as_str() {
        "ssh" => sign_ssh(config, buffer, key, home),
        "openpgp" | "x509" => {
            // As git: x509 runs `gpg.x509.program` (gpgsm); openpgp `gpg.openpgp.program`, then
            // the older `gpg.program`. Neither falls back on the other's program.
            let program = if format == "x509" {
                config
                    .get_string("gpg.x509.program")
                    .unwrap_or_else(|_| "gpgsm".into())
            } else {
                config
                    .get_string("gpg.openpgp.program")
                    .or_else(|_| config.get_string("gpg.program"))
                    .unwrap_or_else(|_| "gpg".into())
            };
            let key = key.unwrap_or_else(|| {
                format!(
                    "{} <{}>",
                    committer.name().unwrap_or(""),
                    committer.email().unwrap_or("")
                )
            });
            sign_gpg(&program, &key, buffer)
        }
        other => bail!(
            "gpg.format `{other}` is not one git knows; set it to openpgp, x509 or ssh (or turn off commit.gpgsign)"
        ),
    }
}

fn sign_gpg(program: &str, key: &str, buffer: &str) -> Result<String> {
    let mut child = Command::new(program)
        .args(["--status-fd=2", "-bsau", key])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("commit.gpgsign is on but `{program}` cannot be run"))?;
    child
        .stdin
        .take()
        .context("cannot talk to the signing program")?
        .write_all(buffer.as_bytes())?;
    let output = child.wait_with_output()?;
    let status = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || !status.contains("[GNUPG:] SIG_CREATED ") {
        bail!(
            "`{program}` could not sign the commit with key `{key}`: {}",
            status.trim()
        );
    }
    String::from_utf8(output.stdout).context("the signature is not text")
}

fn sign_ssh(
    config: &Config,
    buffer: &str,
    key: Option<String>,
    home: Option<&std::path::Path>,
) -> Result<String> {
    let Some(key) = key.filter(|k| !k.trim().is_empty()) else {
        bail!(
            "gpg.format is ssh but user.signingkey is not set; set it to your key file (`git config user.signingkey ~/.ssh/id_ed25519.pub`)"
        );
    };
    let program = config
        .get_string("gpg.ssh.program")
        .unwrap_or_else(|_| "ssh-keygen".into());
    let dir = tempfile::tempdir()?;
    let literal = key
        .strip_prefix("key::")
        .map(str::to_string)
        .or_else(|| key.starts_with("ssh-").then(|| key.clone()));
    let mut command = Command::new(&program);
    command.args(["-Y", "sign", "-n", "git", "-f"]);
    match &literal {
        Some(public) => {
            let file = dir.path().join("key.pub");
            std::fs::write(&file, public)?;
            command.arg(file).arg("-U");
        }
        None => {
            let expanded = match key.strip_prefix("~/") {
                Some(rest) => home
                    .map(|h| h.join(rest))
                    .unwrap_or_else(|| key.clone().into()),
                None => key.clone().into(),
            };
            command.arg(expanded);
        }
    }
    let data = dir.path().join("commit");
    std::fs::write(&data, buffer)?;
    let output = command
        .arg(&data)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("commit.gpgsign is on but `{program}` cannot be run"))?;
    if !output.status.success() {
        bail!(
            "`{program}` could not sign the commit with `{key}`: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let mut sig_path = data.into_os_string();
    sig_path.push(".sig");
    std::fs::read_to_string(&sig_path).context("the ssh signature file is missing")
}
