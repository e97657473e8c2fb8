//! A real OpenLDAP `slapd` on a free port in a temporary directory, loaded from an LDIF with
//! `slapadd` before it starts (a generated `slapd.conf`, the mdb backend); killed by pid when
//! dropped. Never a system service.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::certs::TestCerts;
use super::{free_port, ChildGuard};

const NOT_FOUND: &str =
    "slapd not found: run scripts/test or apt-get install slapd ldap-utils (debconf slapd/no_configuration=true)";

pub const SUFFIX: &str = "dc=parapet,dc=test";
pub const ROOT_DN: &str = "cn=admin,dc=parapet,dc=test";
pub const ROOT_PW: &str = "admin-secret";

fn find(name: &str) -> PathBuf {
    ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{NOT_FOUND} ({name})"))
}

/// A directory with users and nested groups, on `ldap://` (StartTLS too when started with
/// `start_tls`) and, with `start_tls`, `ldaps://`.
pub struct Ldap {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<ChildGuard>,
    /// The `ldaps://` port and the certificates, for `start_tls`.
    tls: Option<(u16, TestCerts)>,
}

/// `ou=people` and `ou=groups` under `SUFFIX`, plus the entries in `extra` (LDIF).
pub fn base_ldif(extra: &str) -> String {
    format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Parapet Test\ndc: parapet\n\n\
         dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n{extra}"
    )
}

/// A user entry (`uid`) with a plain-text password.
pub fn user(uid: &str, password: &str) -> String {
    format!(
        "dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\nuserPassword: {password}\n\n"
    )
}

/// A `groupOfNames` whose members are users (`uid`) or groups (`cn=`) given by DN.
pub fn group(cn: &str, member_dns: &[String]) -> String {
    let mut s = format!("dn: cn={cn},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {cn}\n");
    for m in member_dns {
        s.push_str(&format!("member: {m}\n"));
    }
    s.push('\n');
    s
}

pub fn user_dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{SUFFIX}")
}

pub fn group_dn(cn: &str) -> String {
    format!("cn={cn},ou=groups,{SUFFIX}")
}

impl Ldap {
    /// Loads `ldif` (use `base_ldif`) and starts slapd on 127.0.0.1; waits until it accepts.
    pub fn start(ldif: &str) -> Ldap {
        Self::start_with(ldif, false)
    }

    /// Like `start`, with a certificate made now by a test CA (`ca_file`): StartTLS on the
    /// `ldap://` listener and an `ldaps://` listener.
    pub fn start_tls(ldif: &str) -> Ldap {
        Self::start_with(ldif, true)
    }

    fn start_with(ldif: &str, with_tls: bool) -> Ldap {
        let dir = tempfile::tempdir().expect("tempdir for slapd");
        let tls = with_tls.then(|| (free_port(), TestCerts::generate(dir.path())));
        let tls_conf = tls.as_ref().map_or(String::new(), |(_, c)| {
            format!(
                "TLSCACertificateFile {}\nTLSCertificateFile {}\nTLSCertificateKeyFile {}\n",
                c.ca.display(),
                c.server_cert.display(),
                c.server_key.display()
            )
        });
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("slapd data dir");
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             pidfile {dir}/slapd.pid\n\
             argsfile {dir}/slapd.args\n\
             {tls_conf}\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             database mdb\n\
             maxsize 16777216\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"{ROOT_DN}\"\n\
             rootpw {ROOT_PW}\n\
             directory {data}\n\
             access to attrs=userPassword by anonymous auth by * none\n\
             access to * by * read\n",
            dir = dir.path().display(),
            data = data.display(),
        );
        let conf_path = dir.path().join("slapd.conf");
        std::fs::write(&conf_path, conf).expect("write slapd.conf");
        let ldif_path = dir.path().join("data.ldif");
        std::fs::write(&ldif_path, ldif).expect("write ldif");
        let out = Command::new(find("slapadd"))
            .arg("-f")
            .arg(&conf_path)
            .arg("-l")
            .arg(&ldif_path)
            .output()
            .unwrap_or_else(|e| panic!("{NOT_FOUND} ({e})"));
        assert!(
            out.status.success(),
            "slapadd failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut l = Ldap {
            port: free_port(),
            dir,
            child: None,
            tls,
        };
        l.spawn();
        l
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("slapd.log")).expect("slapd log");
        let child = Command::new(find("slapd"))
            .arg("-f")
            .arg(self.dir.path().join("slapd.conf"))
            .arg("-h")
            .arg(self.listeners())
            // -d keeps it in the foreground (so the pid is ours to kill); 0 = no debug output.
            .args(["-d", "0"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{NOT_FOUND} ({e})"));
        let mut guard = ChildGuard::new(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = guard.try_wait() {
                panic!("slapd exited with {status}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "slapd did not listen within 10 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(guard);
    }

    fn listeners(&self) -> String {
        let plain = format!("ldap://127.0.0.1:{}/", self.port);
        match &self.tls {
            Some((port, _)) => format!("{plain} ldaps://127.0.0.1:{port}/"),
            None => plain,
        }
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// The `ldaps://` URL (`start_tls` only).
    pub fn ldaps_url(&self) -> String {
        let (port, _) = self.tls.as_ref().expect("started with start_tls");
        format!("ldaps://127.0.0.1:{port}")
    }

    /// The certificates (`start_tls` only).
    pub fn certs(&self) -> &TestCerts {
        &self.tls.as_ref().expect("started with start_tls").1
    }

    /// Kills slapd (an outage); `restart` brings it back with the same data.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default()
    }

    /// The gateway's `[ldap]` table for this directory, bound as the root DN via `env_var`.
    pub fn config_toml(&self, env_var: &str, extra: &str) -> String {
        self.config_toml_at(&self.url(), env_var, extra)
    }

    /// The same table for `url` (`ldaps_url`, say).
    pub fn config_toml_at(&self, url: &str, env_var: &str, extra: &str) -> String {
        format!(
            "[ldap]\nurl = {url:?}\nbind_dn = {ROOT_DN:?}\nbind_password_env = {env_var:?}\nuser_base = \"ou=people,{SUFFIX}\"\ngroup_base = \"ou=groups,{SUFFIX}\"\n{extra}\n"
        )
    }
}
