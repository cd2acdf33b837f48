//! The token secret is what makes a case's reply address unforgeable: an empty
//! or short one is refused before klagebot reads any mail.

use klagebot::config::{Config, EMBEDDED_DEFAULT};
use klagebot::daemon::read_token_secret;

fn config_with_secret_file(dir: &std::path::Path, secret: &str) -> Config {
    let file = dir.join("secret");
    std::fs::write(&file, secret).expect("write the secret");
    let text = EMBEDDED_DEFAULT
        .replace(
            "sqlite://klagebot.db",
            &format!("sqlite://{}", dir.join("k.db").display()),
        )
        .replace(
            "token_secret_env = \"KLAGEBOT_TOKEN_SECRET\"",
            &format!("token_secret_file = {:?}", file.display().to_string()),
        );
    Config::from_toml(&text).expect("config")
}

#[test]
fn an_empty_or_short_token_secret_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    for secret in ["", "\n", "short-secret\n"] {
        let err = read_token_secret(&config_with_secret_file(dir.path(), secret))
            .expect_err("refused")
            .to_string();
        assert!(err.contains("shorter than 16"), "{err}");
        assert!(
            !err.contains("short-secret"),
            "the error never shows the secret: {err}"
        );
    }
    let good = read_token_secret(&config_with_secret_file(
        dir.path(),
        "a secret that is long enough\n",
    ))
    .expect("a long secret is read");
    assert_eq!(good, b"a secret that is long enough");
}
