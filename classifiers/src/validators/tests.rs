use super::*;

#[test]
fn published_card_numbers_pass_and_one_digit_off_fails() {
    for ok in [
        "4111111111111111",
        "4111 1111 1111 1111",
        "378282246310005",
        "5555-5555-5555-4444",
        "6011111111111117",
    ] {
        assert!(card(ok.as_bytes()), "{ok}");
    }
    for bad in [
        "4111111111111112",
        "1234567812345678",
        "0000000000000000",
        "4111 1111 1111",
    ] {
        assert!(!card(bad.as_bytes()), "{bad}");
    }
}

#[test]
fn ssn_rejects_never_issued_ranges_and_samples() {
    assert!(us_ssn(b"536-22-8726"));
    assert!(us_ssn(b"536228726"));
    for bad in [
        "000-12-3456",
        "666-12-3456",
        "912-12-3456",
        "536-00-8726",
        "536-22-0000",
        "078-05-1120",
        "123-45-6789",
        "111-11-1111",
    ] {
        assert!(!us_ssn(bad.as_bytes()), "{bad}");
    }
}

#[test]
fn routing_numbers_need_the_checksum_and_a_reserve_prefix() {
    assert!(aba_routing(b"021000021"));
    assert!(aba_routing(b"011000015"));
    assert!(!aba_routing(b"021000022"));
    assert!(!aba_routing(b"991000013"));
}

#[test]
fn iban_checks_country_length_and_mod97() {
    assert!(iban(b"GB82WEST12345698765432"));
    assert!(iban(b"GB82 WEST 1234 5698 7654 32"));
    assert!(iban(b"DE89370400440532013000"));
    assert!(!iban(b"GB82WEST12345698765433"));
    assert!(!iban(b"GB82WEST1234569876543"));
    assert!(!iban(b"ZZ82WEST12345698765432"));
}

#[test]
fn isin_and_cusip_check_digits() {
    assert!(isin(b"US0378331005"));
    assert!(isin(b"GB0002634946"));
    assert!(!isin(b"US0378331006"));
    assert!(!isin(b"QQ0378331005"));
    assert!(cusip(b"037833100"));
    assert!(cusip(b"38259P508"));
    assert!(!cusip(b"037833101"));
}
