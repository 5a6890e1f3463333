//! The `cargo run` binary as a user meets it: it starts, prints working links and codes,
//! keeps data across a restart, refuses to start with a broken questionnaire file, and
//! runs on a DynamoDB table as the deploy steps in the README describe.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use svar_shared::store::dynamo;

struct Server {
    child: Child,
    base: String,
    links: Vec<String>,
    codes: Vec<String>,
    /// The workspace keys printed: `(organisation, secret)`.
    keys: Vec<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_svar-local"));
    command
        .env("SVAR_ADDR", "127.0.0.1:0")
        .env("SVAR_DATA_DIR", data_dir)
        .env_remove("SVAR_STORE")
        .env_remove("SVAR_HASH_KEY")
        .env("RUST_LOG", "warn");
    command
}

/// Starts the server on the embedded store in `data_dir`.
fn start(data_dir: &Path) -> Server {
    start_command(command(data_dir))
}

/// Starts the server and reads its banner up to the code-page line.
fn start_command(mut command: Command) -> Server {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut base, mut links, mut codes) = (String::new(), Vec::new(), Vec::new());
    let mut keys = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Svar körs på ") {
            base = rest.split_whitespace().next().unwrap().to_owned();
        }
        if let Some(rest) = line.trim().strip_prefix("Länk: ") {
            let mut parts = rest.split_whitespace();
            links.push(parts.next().unwrap().to_owned());
            assert_eq!(parts.next(), Some("Kod:"));
            codes.push(parts.next().unwrap().to_owned());
        }
        if let Some((organisation, secret)) = line.trim().split_once(' ')
            && secret.trim().starts_with("svar_")
        {
            keys.push((organisation.to_owned(), secret.trim().to_owned()));
        }
        if line.starts_with("Svara med kod:") {
            break;
        }
    }
    assert!(
        !base.is_empty() && !links.is_empty(),
        "the server printed no links"
    );
    // Keep reading stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base,
        links,
        codes,
        keys,
    }
}

/// A minimal HTTP/1.1 exchange; returns status and body.
fn http(base: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let address = base.trim_start_matches("http://");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut stream = loop {
        match TcpStream::connect(address) {
            Ok(stream) => break stream,
            Err(error) if Instant::now() > deadline => {
                panic!("cannot connect to {address}: {error}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn path_of(link: &str, base: &str) -> String {
    link.strip_prefix(base).unwrap().to_owned()
}

#[test]
fn the_printed_links_and_codes_work_and_answers_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    assert_eq!(
        server.links.len(),
        5,
        "three patient links, one civil-society, one indicator"
    );

    let patient = path_of(&server.links[0], &server.base);
    let (status, page) = http(&server.base, "GET", &patient, "");
    assert_eq!(status, 200);
    assert!(page.contains(r#"<p class="progress">Del 1</p>"#));

    // The civil-society link: answer both pages and send.
    let civil = path_of(&server.links[3], &server.base);
    let (status, _) = http(
        &server.base,
        "POST",
        &civil,
        "_section=0&_action=next&kommun=ale&verksamhet=hemsjukvard",
    );
    assert_eq!(status, 303);
    let (_, page) = http(&server.base, "GET", &format!("{civil}?del=2"), "");
    let mut body = String::from("_section=1&_action=send");
    for (at, _) in page.match_indices("<textarea id=\"q-") {
        let rest = &page[at + 16..];
        body.push_str(&format!(
            "&{}=Idrottsf%C3%B6reningar",
            &rest[..rest.find('"').unwrap()]
        ));
    }
    let (status, page) = http(&server.base, "POST", &civil, &body);
    assert_eq!(status, 303, "Send redirects to the thanks page: {page}");
    let (_, page) = http(&server.base, "GET", &civil, "");
    assert!(page.contains("Tack för dina svar"));

    // A half-answered patient survey.
    let (status, _) = http(
        &server.base,
        "POST",
        &patient,
        "_section=0&_action=next&vem_svarar=patient",
    );
    assert_eq!(status, 303);

    // The short code of the second patient link opens its survey.
    let code = server.codes[1].to_lowercase();
    let (status, _) = http(&server.base, "POST", "/kod", &format!("kod={code}"));
    assert_eq!(status, 303);

    drop(server);
    let server = start(data.path());
    let base = &server.base;
    let (status, page) = http(base, "GET", &civil, "");
    assert_eq!(status, 200);
    assert!(
        page.contains("Tack för dina svar"),
        "the answer must survive a restart"
    );
    let (_, page) = http(base, "GET", &patient, "");
    assert!(
        page.contains("Del 2 av 5"),
        "the draft must survive a restart"
    );
    let (status, _) = http(base, "POST", "/kod", &format!("kod={}", code));
    assert_eq!(
        status, 303,
        "codes keep working: the hash key is kept in the data folder"
    );
    assert_ne!(
        path_of(&server.links[0], base),
        patient,
        "each start issues new links"
    );
}

#[test]
fn a_broken_questionnaire_file_stops_the_server_with_a_clear_message() {
    let data = tempfile::tempdir().unwrap();
    let questionnaires = tempfile::tempdir().unwrap();
    std::fs::write(
        questionnaires.path().join("trasig.toml"),
        "id = \"trasig\"\nversion = 1\ntitle = { sv = \"Trasig\" }\n\n[[sections]]\nid = \"s\"\ntitle = { sv = \"S\" }\n\n\
         [[sections.questions]]\nid = \"fraga\"\nkind = \"single_choice\"\ntext = { sv = \"Fråga\" }\n",
    )
    .unwrap();
    let output = command(data.path())
        .env("SVAR_QUESTIONNAIRES_DIR", questionnaires.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("trasig.toml: question 'fraga': a choice question needs options or a scale"),
        "{stderr}"
    );
}

#[test]
fn a_port_already_in_use_is_named_with_a_way_out() {
    let data = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = command(data.path())
        .env("SVAR_ADDR", &address)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("the address {address} is already in use")),
        "{stderr}"
    );
    assert!(stderr.contains("SVAR_ADDR="), "{stderr}");
}

/// README, "Deploy to AWS", step 4: the local server run against a deployed table puts
/// the demo rounds there. Here against DynamoDB Local, through the same configuration,
/// SDK set-up and HTTP client as the Lambda function (`startup::open_store`).
#[test]
#[ignore = "needs DynamoDB Local: run tests/run-all, or `source tests/services.sh; start_dynamodb_local` first"]
fn on_a_dynamodb_table_the_printed_links_and_codes_work() {
    let endpoint = std::env::var("SVAR_TEST_DYNAMODB_ENDPOINT")
        .expect("SVAR_TEST_DYNAMODB_ENDPOINT must name DynamoDB Local (tests/services.sh)");
    let tables = dynamo::Tables::with_prefix(&format!("svar-local-{}", std::process::id()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = dynamo::local_client(&endpoint);
    runtime
        .block_on(dynamo::create_tables(&client, &tables))
        .unwrap();

    let data = tempfile::tempdir().unwrap();
    let mut command = command(data.path());
    command
        .env("SVAR_STORE", "dynamodb")
        .env("SVAR_RESPONSES_TABLE", &tables.responses)
        .env("SVAR_INVITATIONS_TABLE", &tables.invitations)
        .env("SVAR_DYNAMODB_ENDPOINT", &endpoint)
        .env("SVAR_HASH_KEY", "ab".repeat(32))
        .env("AWS_REGION", "eu-north-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env_remove("AWS_PROFILE");
    let server = start_command(command);
    assert_eq!(server.links.len(), 5);

    let patient = path_of(&server.links[0], &server.base);
    let (status, page) = http(&server.base, "GET", &patient, "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"<p class="progress">Del 1</p>"#));
    let (status, _) = http(
        &server.base,
        "POST",
        &patient,
        "_section=0&_action=next&vem_svarar=patient",
    );
    assert_eq!(status, 303, "the page is saved as a draft in the table");
    let (_, page) = http(&server.base, "GET", &patient, "");
    assert!(page.contains("Del 2 av 5"), "the draft is read back");
    let code = &server.codes[1];
    let (status, _) = http(&server.base, "POST", "/kod", &format!("kod={code}"));
    assert_eq!(status, 303, "the short code is found in the table");
    assert!(
        data.path().read_dir().unwrap().next().is_none(),
        "nothing is written to the data folder"
    );
}

/// The `Set-Cookie` session of a sign-in with `key`, if it succeeded.
fn sign_in(base: &str, key: &str) -> Option<String> {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    let body = format!("key={key}");
    write!(
        stream,
        "POST /admin/logga-in HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: svar_session="))
        .map(|rest| format!("svar_session={}", rest.split(';').next().unwrap()))
}

#[test]
fn one_key_per_organisation_is_printed_and_a_restart_revokes_the_previous_ones() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path());
    assert_eq!(server.keys.len(), 14, "the network and 13 municipalities");
    assert_eq!(server.keys[0].0, "gr");
    let (_, ale) = server.keys.iter().find(|(org, _)| org == "ale").unwrap();
    assert!(
        sign_in(&server.base, ale).is_some(),
        "the printed key signs in"
    );
    let old = ale.clone();
    drop(server);

    let server = start(data.path());
    assert!(
        sign_in(&server.base, &old).is_none(),
        "the previous start's demo key is revoked"
    );
    let (_, ale) = server.keys.iter().find(|(org, _)| org == "ale").unwrap();
    assert!(sign_in(&server.base, ale).is_some());
    assert_eq!(
        std::fs::metadata(data.path().join("session.key"))
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn the_keys_command_creates_lists_and_revokes_a_key() {
    let data = tempfile::tempdir().unwrap();
    let keys = |args: &[&str]| {
        let output = command(data.path())
            .arg("keys")
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (ok, out, _) = keys(&["create", "--org", "ale", "--label", "Anna"]);
    assert!(ok, "{out}");
    let secret = out
        .lines()
        .find_map(|line| line.trim().strip_prefix("nyckel:"))
        .unwrap()
        .trim()
        .to_owned();
    let id = out
        .lines()
        .find_map(|line| line.trim().strip_prefix("id:"))
        .unwrap()
        .trim()
        .to_owned();
    let (ok, out, _) = keys(&["list", "--org", "ale"]);
    assert!(ok && out.contains("Anna") && out.contains("aktiv"), "{out}");
    assert!(!out.contains(&secret), "a list never shows a secret");

    let server = start(data.path());
    assert!(sign_in(&server.base, &secret).is_some(), "the key signs in");
    drop(server);

    let (ok, out, _) = keys(&["revoke", "--org", "ale", "--id", &id]);
    assert!(ok, "{out}");
    let (ok, _, error) = keys(&["revoke", "--org", "ale", "--id", &id]);
    assert!(!ok && error.contains("redan"), "{error}");
    let (ok, _, error) = keys(&["list", "--org", "nowhere"]);
    assert!(!ok && error.contains("nowhere"), "{error}");
    let server = start(data.path());
    assert!(
        sign_in(&server.base, &secret).is_none(),
        "a revoked key does not"
    );
}

#[cfg(unix)]
#[test]
fn the_hash_key_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;

    let data = tempfile::tempdir().unwrap();
    let key = data.path().join("hash.key");
    drop(start(data.path()));
    assert_eq!(mode(&key), 0o600, "a new key file");

    // A key file an earlier version left readable by all keeps its key but not its mode.
    let older = tempfile::tempdir().unwrap();
    let key = older.path().join("hash.key");
    let bytes = [7u8; 32];
    std::fs::write(&key, bytes).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(start(older.path()));
    assert_eq!(mode(&key), 0o600, "an older key file");
    assert_eq!(
        std::fs::read(&key).unwrap(),
        bytes,
        "the key itself is kept"
    );
}
