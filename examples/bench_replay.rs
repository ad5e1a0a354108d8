//! Benchmark helper: replay the SOAP requests `vmkaudit collect` sent, with a minimal client.
//!
//! `scripts/bench.sh` runs `vmkaudit collect` once with `VMKAUDIT_DUMP_REQUESTS=FILE`, which
//! records every request envelope (the password replaced by a placeholder). This program sends
//! the same sequence of POSTs over HTTPS (reqwest on rustls, one kept-alive connection, the
//! session cookie from Login), reads every response body whole and parses nothing: the only
//! things taken from responses are the session cookie, the container view created last and the
//! paging token, each found with a trivial regular expression. Its wall time is the "bare HTTP"
//! column: the cost of the exchanges themselves, with no XML parsing or mapping.
//!
//! usage: bench_replay URL CA_FILE DUMP_FILE PASSWORD_ENV_VAR [RUNS]
//! Prints one line per run: `<seconds> <response bytes> <requests>`.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: bench_replay URL CA_FILE DUMP_FILE PASSWORD_ENV_VAR [RUNS]");
        std::process::exit(2);
    }
    let (url, ca, dump, pw_var) = (&args[1], &args[2], &args[3], &args[4]);
    let runs: usize = args.get(5).and_then(|r| r.parse().ok()).unwrap_or(1);
    let password = std::env::var(pw_var).expect("password variable not set");
    let password = quick_xml::escape::escape(&password).into_owned();
    let records: Vec<(String, String)> = std::fs::read_to_string(dump)
        .expect("read the request dump")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("dump line is JSON");
            (
                v["action"].as_str().unwrap_or("urn:vim25/6.5").to_string(),
                v["envelope"].as_str().expect("envelope").to_string(),
            )
        })
        .collect();
    let pem = std::fs::read(ca).expect("read the CA file");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for _ in 0..runs {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA PEM"))
            .build()
            .expect("client");
        let start = Instant::now();
        let bytes = rt.block_on(replay(&client, url, &records, &password));
        println!(
            "{:.4} {bytes} {}",
            start.elapsed().as_secs_f64(),
            records.len()
        );
    }
}

async fn replay(
    client: &reqwest::Client,
    url: &str,
    records: &[(String, String)],
    password: &str,
) -> usize {
    let view_re = regex::Regex::new(r#"type="ContainerView">([^<]+)<"#).unwrap();
    let token_re = regex::Regex::new(r"<token>([^<]*)</token>").unwrap();
    let mut cookie: Option<String> = None;
    let mut view: Option<String> = None;
    let mut token: Option<String> = None;
    let mut total = 0;
    for (action, envelope) in records {
        let mut body = envelope.replace("{{PASSWORD}}", password);
        // The view and token of this run replace the recorded ones.
        if let (Some(v), Some(c)) = (&view, view_re.captures(&body)) {
            body = body.replace(&c[1], v);
        }
        if let (Some(t), Some(c)) = (&token, token_re.captures(&body)) {
            body = body.replace(
                &format!("<token>{}</token>", &c[1]),
                &format!("<token>{t}</token>"),
            );
        }
        let mut req = client
            .post(url)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", action)
            .body(body);
        if let Some(c) = &cookie {
            req = req.header("Cookie", c);
        }
        let resp = req.send().await.expect("request");
        if let Some(c) = resp.headers().get("set-cookie") {
            let c = c.to_str().unwrap_or_default();
            cookie = Some(c.split(';').next().unwrap_or_default().to_string());
        }
        let text = resp.bytes().await.expect("response body");
        total += text.len();
        let text = String::from_utf8_lossy(&text);
        if envelope.contains("<CreateContainerView ") {
            view = view_re.captures(&text).map(|c| c[1].to_string());
        }
        token = token_re.captures(&text).map(|c| c[1].to_string());
    }
    total
}
