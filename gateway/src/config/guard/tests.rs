use crate::config::{Config, ConfigError, UnknownLdapUser};

/// A public certificate (no key anywhere), for `ca_file`.
const TEST_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBlDCCATugAwIBAgIUJ0addXP3FfOJ/7BOBcANmdkIQo4wCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUUGFyYXBldCB1bml0LXRlc3QgQ0EwIBcNMjYxMTIzMTQ1NTM3
WhgPMjEyNjEwMzAxNDU1MzdaMB8xHTAbBgNVBAMMFFBhcmFwZXQgdW5pdC10ZXN0
IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4Iyo4o/gGPPcbzZUcjN3wZpQ
8CgDwx2/g4R2ojAz+3k3fDvbkLRG8PDoB4TZ53xnnThPYX+/Gx2XxZeL31ter6NT
MFEwHQYDVR0OBBYEFKw1Uv1HZzQroC8gvPP9S6dVETh4MB8GA1UdIwQYMBaAFKw1
Uv1HZzQroC8gvPP9S6dVETh4MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
RwAwRAIgPJDqc8/Ei6sAcgwK09DjOXnKI4FjpMko1boo8znFaYACIGWqn0vsnUvP
h4AyGp9qO3cqadqv1XRVDpSiSY6Nl+yb
-----END CERTIFICATE-----
-----END CERTIFICATE-----
";

fn parse(ldap_lines: &str) -> Result<Config, ConfigError> {
    let text = format!("[ldap]\nuser_base = \"ou=people,dc=x\"\n{ldap_lines}\n");
    Config::parse(&text, "parapet.toml", &|_| None)
}

fn err(ldap_lines: &str) -> String {
    parse(ldap_lines).unwrap_err().to_string()
}

#[test]
fn an_unknown_directory_user_is_denied_unless_the_config_says_no_groups() {
    let c = parse("url = \"ldap://127.0.0.1\"").unwrap().ldap.unwrap();
    assert_eq!(c.unknown_user, UnknownLdapUser::Deny);
    let c = parse("url = \"ldap://h\"\nunknown_user = \"no_groups\"")
        .unwrap()
        .ldap
        .unwrap();
    assert_eq!(c.unknown_user, UnknownLdapUser::NoGroups);
    let e = err("url = \"ldap://h\"\nunknown_user = \"maybe\"");
    assert!(e.contains("unknown_user") || e.contains("maybe"), "{e}");
}

#[test]
fn tls_is_ldaps_or_starttls_and_a_ca_file_needs_one_of_them() {
    let c = parse("url = \"ldaps://dir.example:636\"")
        .unwrap()
        .ldap
        .unwrap();
    assert!(!c.starttls && c.tls.is_none(), "system roots by default");
    let c = parse("url = \"ldap://dir.example\"\nstarttls = true")
        .unwrap()
        .ldap
        .unwrap();
    assert!(c.starttls);
    for (lines, key) in [
        ("url = \"http://dir.example\"", "ldap.url"),
        ("url = \"ldaps://d\"\nstarttls = true", "ldap.starttls"),
        ("url = \"ldap://d\"\nca_file = \"ca.pem\"", "ldap.ca_file"),
    ] {
        let e = err(lines);
        assert!(
            e.contains(key) && e.contains("parapet.toml:"),
            "{lines}: {e}"
        );
    }
}

#[test]
fn the_ca_file_is_read_and_checked_when_the_config_is() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("ca.pem");
    std::fs::write(&good, TEST_CA).unwrap();
    let lines = format!(
        "url = \"ldaps://d\"\nca_file = {:?}",
        good.display().to_string()
    );
    assert!(parse(&lines).unwrap().ldap.unwrap().tls.is_some());

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let missing = dir.path().join("missing.pem");
    for (path, says) in [(&empty, "no PEM certificate"), (&missing, "cannot read")] {
        let lines = format!(
            "url = \"ldaps://d\"\nca_file = {:?}",
            path.display().to_string()
        );
        let e = err(&lines);
        assert!(e.contains("ldap.ca_file") && e.contains(says), "{e}");
    }
}
