//! A real OpenLDAP `slapd` on a free port in a temporary directory, loaded from an LDIF with
//! `slapadd` before it starts (a generated `slapd.conf`, the mdb backend); killed by pid when
//! dropped. Never a system service.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// A directory with users and nested groups (see `demo_ldif`).
pub struct Ldap {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<ChildGuard>,
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
        let dir = tempfile::tempdir().expect("tempdir for slapd");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("slapd data dir");
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             pidfile {dir}/slapd.pid\n\
             argsfile {dir}/slapd.args\n\
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
            .arg(format!("ldap://127.0.0.1:{}/", self.port))
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

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
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
        format!(
            "[ldap]\nurl = {url:?}\nbind_dn = {ROOT_DN:?}\nbind_password_env = {env_var:?}\nuser_base = \"ou=people,{SUFFIX}\"\ngroup_base = \"ou=groups,{SUFFIX}\"\n{extra}\n",
            url = self.url()
        )
    }
}
