//! Shares as people read them.

/// An exact share (`0.514285714285714286`) as people read it, a percentage to two decimals
/// rounded half up (`51.43%`); JSON keeps the exact value. A text that is no plain decimal is
/// shown as it is.
pub fn percent_text(share: &str) -> String {
    let (whole, fraction) = share.split_once('.').unwrap_or((share, ""));
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(fraction.is_empty() || digits(fraction)) || whole.len() > 18 {
        return share.to_string();
    }
    let padded = format!("{fraction:0<5}");
    let Ok(whole) = whole.parse::<u128>() else {
        return share.to_string();
    };
    let first_four: u128 = padded[..4].parse().unwrap_or(0);
    let round_up = padded.as_bytes()[4] >= b'5';
    let hundredths = whole * 10_000 + first_four + u128::from(round_up);
    format!("{}.{:02}%", hundredths / 100, hundredths % 100)
}

#[cfg(test)]
mod tests {
    use super::percent_text;

    #[test]
    fn shares_read_as_percentages() {
        assert_eq!(percent_text("0.514285714285714286"), "51.43%");
        assert_eq!(percent_text("0.142857142857142857"), "14.29%");
        assert_eq!(percent_text("1"), "100.00%");
        assert_eq!(percent_text("0.00005"), "0.01%");
        assert_eq!(percent_text("0.00004999"), "0.00%");
        assert_eq!(percent_text("0.5"), "50.00%");
        assert_eq!(percent_text("n/a"), "n/a");
    }
}
