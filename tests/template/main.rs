//! The SAM template (`template.yaml`) against the code:
//!
//! - every folder in `functions/` is a function in the template and every function in
//!   the template is a folder in `functions/` with the binary it names;
//! - every route a function's router serves (its `ROUTES`) is an HTTP API event of that
//!   function, and the function has no other events;
//! - every function runs on `provided.al2023`, `arm64`, is built by cargo-lambda and
//!   has its own role, whose Allow statements name no `*` action or resource;
//! - the two tables' keys and time-to-live attribute are the ones the DynamoDB store
//!   uses; point-in-time recovery is on for the responses table and off for the
//!   invitations table; each function gets the tables by `!Ref`;
//! - respond's and admin's DynamoDB statements are narrowed by `dynamodb:LeadingKeys` to
//!   the item kinds each needs (respond never an access key, a batch or the audit trail);
//! - admin reads its two SSM parameters (hash key, session secret) and no other;
//! - the export bucket is private, encrypted, TLS-only and expires `exports/` after the
//!   `RetentionDays` parameter, which both export users get as their retention; only the
//!   export function writes there, admin only reads (download links) and invokes the
//!   export function, nothing else; the export role runs jobs and reads responses, no
//!   more;
//! - the alarms (API 5xx rate, throttling per table, errors per function) mail the
//!   address given as a parameter;
//! - the functions' time-out outlasts the store's slowest retried transaction;
//! - no secret is written into the template.
//!
//! `cfn-lint` and the build run in `infra/check-template.sh`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_norway::Value;

/// Each function folder's routes, as its crate declares them. A new function must be
/// added here (the test says so), so its routes are checked too.
fn declared_routes(function_dir: &str) -> Option<Vec<(&'static str, &'static str)>> {
    match function_dir {
        "respond" => Some(svar_respond::ROUTES.to_vec()),
        "admin" => Some(svar_admin::route_table()),
        // Invoked by admin alone, never over HTTP.
        "export" => Some(Vec::new()),
        _ => None,
    }
}

const RUNTIME: &str = "provided.al2023";
const ARCHITECTURE: &str = "arm64";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `template.yaml` at the root, or the file `SVAR_TEMPLATE_FILE` names (to try the
/// checks on a broken copy).
fn template_path() -> PathBuf {
    std::env::var_os("SVAR_TEMPLATE_FILE")
        .map_or_else(|| root().join("template.yaml"), PathBuf::from)
}

fn template() -> Value {
    let path = template_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("template.yaml is not YAML: {e}"))
}

fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_mapping().and_then(|m| m.get(key))
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut current = value;
    for key in path {
        current = get(current, key)?;
    }
    current.as_str()
}

/// Resources of one type, by logical id.
fn resources<'a>(template: &'a Value, kind: &str) -> BTreeMap<String, &'a Value> {
    let all = get(template, "Resources")
        .and_then(Value::as_mapping)
        .expect("template has Resources");
    all.iter()
        .filter(|(_, resource)| str_at(resource, &["Type"]) == Some(kind))
        .map(|(id, resource)| {
            (
                id.as_str().expect("logical ids are strings").to_owned(),
                resource,
            )
        })
        .collect()
}

/// A function's property, or the one set for all functions in `Globals`.
fn function_property<'a>(
    template: &'a Value,
    function: &'a Value,
    name: &str,
) -> Option<&'a Value> {
    get(function, "Properties")
        .and_then(|p| get(p, name))
        .or_else(|| {
            get(template, "Globals")
                .and_then(|g| get(g, "Function"))
                .and_then(|f| get(f, name))
        })
}

/// `functions/<dir>` of each function in the template, by logical id.
fn template_functions(template: &Value) -> BTreeMap<String, String> {
    resources(template, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, function)| {
            let code_uri = str_at(function, &["Properties", "CodeUri"])
                .unwrap_or_else(|| panic!("{id}: CodeUri must be a path"))
                .trim_end_matches('/');
            let dir = code_uri
                .strip_prefix("functions/")
                .filter(|d| !d.contains('/'))
                .unwrap_or_else(|| panic!("{id}: CodeUri {code_uri:?} must be functions/<name>"));
            (id, dir.to_owned())
        })
        .collect()
}

fn function_dirs() -> BTreeSet<String> {
    std::fs::read_dir(root().join("functions"))
        .expect("functions/ exists")
        .map(|entry| entry.expect("readable entry"))
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The `[[bin]]` names of a function crate (its package name if it lists none).
fn binaries(dir: &str) -> BTreeSet<String> {
    let path = root().join("functions").join(dir).join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let manifest: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let bins: BTreeSet<String> = manifest
        .get("bin")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
        .filter_map(|bin| bin.get("name").and_then(|n| n.as_str()).map(str::to_owned))
        .collect();
    if bins.is_empty() {
        let package = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str());
        package.map(str::to_owned).into_iter().collect()
    } else {
        bins
    }
}

#[test]
fn every_function_folder_is_in_the_template_and_back() {
    let template = template();
    let in_template: BTreeSet<String> = template_functions(&template).into_values().collect();
    let on_disk = function_dirs();
    assert!(
        !on_disk.is_empty(),
        "no function crates found in functions/"
    );
    for dir in &on_disk {
        assert!(
            in_template.contains(dir),
            "functions/{dir} has no AWS::Serverless::Function in template.yaml"
        );
    }
    for dir in &in_template {
        assert!(
            on_disk.contains(dir),
            "template.yaml has a function for functions/{dir}, which does not exist"
        );
    }
    assert_eq!(
        in_template.len(),
        template_functions(&template).len(),
        "two template functions share one folder"
    );
}

#[test]
fn every_function_is_built_by_cargo_lambda_from_its_own_binary() {
    let template = template();
    let functions = resources(&template, "AWS::Serverless::Function");
    for (id, dir) in template_functions(&template) {
        let function = functions[&id];
        assert_eq!(
            str_at(function, &["Metadata", "BuildMethod"]),
            Some("rust-cargolambda"),
            "{id}: Metadata.BuildMethod"
        );
        let binary = str_at(function, &["Metadata", "BuildProperties", "Binary"])
            .unwrap_or_else(|| panic!("{id}: Metadata.BuildProperties.Binary is missing"));
        let bins = binaries(&dir);
        assert!(
            bins.contains(binary),
            "{id}: binary {binary:?} is not built by functions/{dir} (it builds {bins:?})"
        );
    }
}

#[test]
fn every_function_runs_on_provided_al2023_arm64() {
    // cfn-lint accepts any runtime name, so this is checked here.
    let template = template();
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        let runtime = function_property(&template, function, "Runtime").and_then(Value::as_str);
        assert_eq!(runtime, Some(RUNTIME), "{id}: Runtime");
        let architectures: Option<Vec<&str>> =
            function_property(&template, function, "Architectures")
                .and_then(Value::as_sequence)
                .map(|list| list.iter().filter_map(Value::as_str).collect());
        assert_eq!(
            architectures,
            Some(vec![ARCHITECTURE]),
            "{id}: Architectures"
        );
        let handler = function_property(&template, function, "Handler").and_then(Value::as_str);
        assert_eq!(handler, Some("bootstrap"), "{id}: Handler");
    }
}

/// `(METHOD, path)` of every HTTP API event of a function; panics on any other event.
fn events(id: &str, function: &Value) -> BTreeSet<(String, String)> {
    let Some(events) = get(function, "Properties")
        .and_then(|p| get(p, "Events"))
        .and_then(Value::as_mapping)
    else {
        return BTreeSet::new();
    };
    events
        .iter()
        .map(|(name, event)| {
            let name = name.as_str().unwrap_or_default();
            assert_eq!(
                str_at(event, &["Type"]),
                Some("HttpApi"),
                "{id}.{name}: only HttpApi events are expected"
            );
            let method = str_at(event, &["Properties", "Method"])
                .unwrap_or_else(|| panic!("{id}.{name}: Method is missing"))
                .to_ascii_uppercase();
            let path = str_at(event, &["Properties", "Path"])
                .unwrap_or_else(|| panic!("{id}.{name}: Path is missing"));
            let api = get(event, "Properties").and_then(|p| get(p, "ApiId"));
            assert!(
                api.is_some(),
                "{id}.{name}: ApiId must name the stack's HttpApi"
            );
            (method, path.to_owned())
        })
        .collect()
}

#[test]
fn every_route_a_router_serves_is_in_the_template_and_nothing_else() {
    let template = template();
    let functions = resources(&template, "AWS::Serverless::Function");
    let mut all_routes = BTreeMap::new();
    for (id, dir) in template_functions(&template) {
        let declared = declared_routes(&dir).unwrap_or_else(|| {
            panic!("functions/{dir}: add its crate's ROUTES to declared_routes() in tests/template/main.rs")
        });
        let served: BTreeSet<(String, String)> = declared
            .iter()
            .map(|(method, path)| (method.to_ascii_uppercase(), (*path).to_owned()))
            .collect();
        let in_template = events(&id, functions[&id]);
        let missing: Vec<_> = served.difference(&in_template).collect();
        let extra: Vec<_> = in_template.difference(&served).collect();
        assert!(
            missing.is_empty(),
            "{id}: routes served by functions/{dir} but not in template.yaml: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "{id}: routes in template.yaml that functions/{dir} does not serve: {extra:?}"
        );
        for route in in_template {
            if let Some(other) = all_routes.insert(route.clone(), id.clone()) {
                panic!("route {route:?} is given to both {other} and {id}");
            }
        }
    }
}

/// The statements of a policy document, with `!If [cond, statement, AWS::NoValue]`
/// taken as its statement.
fn statements(document: &Value) -> Vec<&Value> {
    let list = get(document, "Statement")
        .and_then(Value::as_sequence)
        .expect("Statement is a list");
    list.iter()
        .map(|statement| match statement {
            Value::Tagged(tagged) if tagged.tag == "If" => tagged
                .value
                .as_sequence()
                .and_then(|branches| branches.get(1))
                .expect("!If has a statement as its second item"),
            other => other,
        })
        .collect()
}

fn strings(value: &Value) -> Vec<&Value> {
    match value {
        Value::Sequence(list) => list.iter().collect(),
        other => vec![other],
    }
}

#[test]
fn every_function_has_its_own_least_privilege_role() {
    let template = template();
    let roles = resources(&template, "AWS::IAM::Role");
    let mut used = BTreeSet::new();
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        assert!(
            get(function, "Properties")
                .and_then(|p| get(p, "Policies"))
                .is_none(),
            "{id}: no SAM Policies (they add managed policies with \"*\" resources); use its own role"
        );
        let role = get(function, "Properties").and_then(|p| get(p, "Role"));
        let role_id = match role {
            Some(Value::Tagged(tagged)) if tagged.tag == "GetAtt" => {
                tagged.value.as_str().and_then(|s| s.strip_suffix(".Arn")).map(str::to_owned)
            }
            _ => None,
        }
        .unwrap_or_else(|| panic!("{id}: Role must be !GetAtt <its role>.Arn (without it SAM adds a role with \"*\" resources)"));
        assert!(
            roles.contains_key(&role_id),
            "{id}: role {role_id} is not in the template"
        );
        assert!(
            used.insert(role_id.clone()),
            "{id}: role {role_id} is shared with another function"
        );
    }
    for (id, role) in &roles {
        let properties = get(role, "Properties").expect("role has Properties");
        assert!(
            get(properties, "ManagedPolicyArns").is_none(),
            "{id}: no managed policies, inline statements only"
        );
        let policies = get(properties, "Policies")
            .and_then(Value::as_sequence)
            .expect("role has inline Policies");
        for policy in policies {
            let document = get(policy, "PolicyDocument").expect("policy has a document");
            for statement in statements(document) {
                if str_at(statement, &["Effect"]) != Some("Allow") {
                    continue;
                }
                let actions = get(statement, "Action").map(strings).unwrap_or_default();
                assert!(!actions.is_empty(), "{id}: an Allow without Action");
                for action in actions {
                    let action = action
                        .as_str()
                        .unwrap_or_else(|| panic!("{id}: actions must be literal"));
                    assert!(!action.contains('*'), "{id}: wildcard action {action:?}");
                }
                assert!(
                    get(statement, "NotAction").is_none()
                        && get(statement, "NotResource").is_none(),
                    "{id}: no Not*"
                );
                // S3 objects are scoped by key prefix only: the export files' prefix is
                // the one wildcard allowed, and only as the whole tail of that ARN.
                let export_objects = format!(
                    "${{ExportBucket.Arn}}/{}*",
                    svar_shared::domain::ExportFolder::ROOT
                );
                for resource in get(statement, "Resource").map(strings).unwrap_or_default() {
                    if let Some(text) = resource.as_str() {
                        assert!(
                            !text.contains('*') || text == export_objects,
                            "{id}: wildcard resource {text:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn respond_may_not_touch_the_export_bucket() {
    let template = template();
    let text = serde_norway::to_string(&resources(&template, "AWS::IAM::Role")["RespondRole"])
        .expect("serialisable");
    assert!(
        !text.contains("s3:"),
        "RespondRole grants an S3 action: respond does not use S3"
    );
    assert!(
        !text.contains("ExportBucket"),
        "RespondRole names the export bucket"
    );
}

/// The logical id a `!Ref` names.
fn ref_of(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        _ => None,
    }
}

/// The logical id a `!GetAtt <id>.Arn` names.
fn arn_of(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => {
            tagged.value.as_str().and_then(|s| s.strip_suffix(".Arn"))
        }
        _ => None,
    }
}

const RESPONSES_TABLE: &str = "ResponsesTable";
const INVITATIONS_TABLE: &str = "InvitationsTable";

fn table_properties<'a>(template: &'a Value, id: &str) -> &'a Value {
    let tables = resources(template, "AWS::DynamoDB::Table");
    let table = tables.get(id).unwrap_or_else(|| panic!("no table {id}"));
    get(table, "Properties").expect("table has Properties")
}

#[test]
fn the_two_tables_are_the_ones_the_dynamodb_store_expects() {
    let template = template();
    let tables = resources(&template, "AWS::DynamoDB::Table");
    assert_eq!(
        tables.keys().map(String::as_str).collect::<Vec<_>>(),
        vec![INVITATIONS_TABLE, RESPONSES_TABLE],
        "two tables"
    );
    for id in [RESPONSES_TABLE, INVITATIONS_TABLE] {
        let properties = table_properties(&template, id);
        assert_eq!(
            str_at(properties, &["BillingMode"]),
            Some("PAY_PER_REQUEST")
        );
        let keys: Vec<(&str, &str)> = get(properties, "KeySchema")
            .and_then(Value::as_sequence)
            .expect("KeySchema")
            .iter()
            .map(|k| {
                (
                    str_at(k, &["AttributeName"]).unwrap_or(""),
                    str_at(k, &["KeyType"]).unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(keys, vec![("pk", "HASH"), ("sk", "RANGE")], "{id}");
        for attribute in get(properties, "AttributeDefinitions")
            .and_then(Value::as_sequence)
            .expect("AttributeDefinitions")
        {
            assert_eq!(
                str_at(attribute, &["AttributeType"]),
                Some("S"),
                "{id}: keys are strings"
            );
        }
    }
}

#[test]
fn responses_have_point_in_time_recovery_and_invitations_none_but_a_time_to_live() {
    let template = template();
    let pitr = |id: &str| {
        get(
            table_properties(&template, id),
            "PointInTimeRecoverySpecification",
        )
        .and_then(|p| get(p, "PointInTimeRecoveryEnabled"))
        .and_then(Value::as_bool)
    };
    assert_eq!(pitr(RESPONSES_TABLE), Some(true));
    // Written out as false, not left to a default, so a reader sees it is meant.
    assert_eq!(pitr(INVITATIONS_TABLE), Some(false));

    let invitations = table_properties(&template, INVITATIONS_TABLE);
    assert_eq!(
        str_at(invitations, &["TimeToLiveSpecification", "AttributeName"]),
        Some(svar_shared::store::dynamo::TTL_ATTRIBUTE)
    );
    assert_eq!(
        get(invitations, "TimeToLiveSpecification")
            .and_then(|t| get(t, "Enabled"))
            .and_then(Value::as_bool),
        Some(true)
    );
    // Nothing in the responses table expires.
    assert!(
        get(
            table_properties(&template, RESPONSES_TABLE),
            "TimeToLiveSpecification"
        )
        .is_none()
    );
}

#[test]
fn respond_and_admin_get_both_tables_by_ref_and_no_function_the_old_single_table() {
    let template = template();
    let text = std::fs::read_to_string(template_path()).expect("template.yaml");
    assert!(
        !text.contains("SVAR_TABLE:"),
        "SVAR_TABLE is replaced by two variables"
    );
    let functions = resources(&template, "AWS::Serverless::Function");
    for function in ["RespondFunction", "AdminFunction", "ExportFunction"] {
        let resource = functions
            .get(function)
            .unwrap_or_else(|| panic!("{function}"));
        let variables = get(resource, "Properties")
            .and_then(|p| get(p, "Environment"))
            .and_then(|e| get(e, "Variables"))
            .unwrap_or_else(|| panic!("{function} has environment variables"));
        for (name, table) in [
            ("SVAR_RESPONSES_TABLE", RESPONSES_TABLE),
            ("SVAR_INVITATIONS_TABLE", INVITATIONS_TABLE),
        ] {
            assert_eq!(
                get(variables, name).and_then(ref_of),
                Some(table),
                "{function}: {name} must be !Ref {table}"
            );
        }
    }
    // Table names are given per function, never in Globals: a later function that
    // reports must not be handed the invitations table.
    let globals = get(&template, "Globals").and_then(|g| get(g, "Function"));
    let global_variables = globals
        .and_then(|f| get(f, "Environment"))
        .and_then(|e| get(e, "Variables"));
    for name in ["SVAR_RESPONSES_TABLE", "SVAR_INVITATIONS_TABLE"] {
        assert!(
            global_variables.and_then(|v| get(v, name)).is_none(),
            "{name} is set in Globals"
        );
    }
}

/// The `dynamodb:LeadingKeys` patterns of a statement, if it is narrowed by them.
fn leading_keys(statement: &Value) -> Option<BTreeSet<String>> {
    let condition = get(statement, "Condition")?;
    let like = get(condition, "ForAllValues:StringLike")?;
    let patterns = get(like, "dynamodb:LeadingKeys")?;
    Some(
        strings(patterns)
            .into_iter()
            .map(|p| p.as_str().expect("literal patterns").to_owned())
            .collect(),
    )
}

fn patterns(prefixes: &[&str]) -> BTreeSet<String> {
    prefixes.iter().map(|prefix| format!("{prefix}*")).collect()
}

/// The DynamoDB actions that only read.
const READS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
];

/// `(table, writes?) -> LeadingKeys patterns` of a role's DynamoDB statements. Each
/// statement must name one table, be narrowed by `dynamodb:LeadingKeys`, and either read
/// or write, never both.
fn dynamodb_grants(role_id: &str) -> BTreeMap<(String, bool), BTreeSet<String>> {
    let template = template();
    let role = &resources(&template, "AWS::IAM::Role")[role_id];
    let policies = get(role, "Properties")
        .and_then(|p| get(p, "Policies"))
        .and_then(Value::as_sequence)
        .unwrap_or_else(|| panic!("{role_id} has inline Policies"));
    let mut granted: BTreeMap<(String, bool), BTreeSet<String>> = BTreeMap::new();
    for policy in policies {
        let document = get(policy, "PolicyDocument").expect("policy has a document");
        for statement in statements(document) {
            let actions: Vec<&str> = get(statement, "Action")
                .map(strings)
                .unwrap_or_default()
                .into_iter()
                .filter_map(Value::as_str)
                .filter(|action| action.starts_with("dynamodb:"))
                .collect();
            if actions.is_empty() {
                continue;
            }
            let sid = str_at(statement, &["Sid"]).unwrap_or("a statement");
            let tables: Vec<&str> = get(statement, "Resource")
                .map(strings)
                .unwrap_or_default()
                .into_iter()
                .map(|r| {
                    arn_of(r).unwrap_or_else(|| {
                        panic!("{role_id}.{sid}: resources are !GetAtt <table>.Arn")
                    })
                })
                .collect();
            assert_eq!(tables.len(), 1, "{role_id}.{sid}: one table per statement");
            let keys = leading_keys(statement).unwrap_or_else(|| {
                panic!("{role_id}.{sid}: DynamoDB statements need a ForAllValues:StringLike dynamodb:LeadingKeys condition")
            });
            let is_read = |a: &&str| READS.contains(a);
            let writes = actions.iter().any(|a| !is_read(a));
            let reads = actions.iter().any(is_read);
            assert!(
                !(writes && reads),
                "{role_id}.{sid}: reads and writes in separate statements"
            );
            assert!(
                !actions.contains(&"dynamodb:Scan"),
                "{role_id}.{sid}: no Scan (it reads every item kind)"
            );
            granted
                .entry((tables[0].to_owned(), writes))
                .or_default()
                .extend(keys);
        }
    }
    granted
}

/// A write pattern of one kind must not match another kind's keys (e.g. "R#*" matches
/// nothing of RESP#, but "RE*" would match both).
fn assert_no_write_pattern_matches(
    role_id: &str,
    granted: &BTreeMap<(String, bool), BTreeSet<String>>,
    kinds: &[&str],
) {
    for kind in kinds {
        for ((table, writes), patterns) in granted {
            if !writes {
                continue;
            }
            for pattern in patterns {
                let prefix = pattern.trim_end_matches('*');
                assert!(
                    !kind.starts_with(prefix),
                    "{role_id} {table}: write pattern {pattern} also matches {kind} items"
                );
            }
        }
    }
}

/// `(table, action) -> LeadingKeys patterns` of a role's DynamoDB statements: what each
/// action may touch, for a check that is exact per action.
fn dynamodb_actions(role_id: &str) -> BTreeMap<(String, String), BTreeSet<String>> {
    let template = template();
    let role = &resources(&template, "AWS::IAM::Role")[role_id];
    let policies = get(role, "Properties")
        .and_then(|p| get(p, "Policies"))
        .and_then(Value::as_sequence)
        .unwrap_or_else(|| panic!("{role_id} has inline Policies"));
    let mut granted: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for policy in policies {
        let document = get(policy, "PolicyDocument").expect("policy has a document");
        for statement in statements(document) {
            let actions: Vec<&str> = get(statement, "Action")
                .map(strings)
                .unwrap_or_default()
                .into_iter()
                .filter_map(Value::as_str)
                .filter(|action| action.starts_with("dynamodb:"))
                .collect();
            if actions.is_empty() {
                continue;
            }
            let keys = leading_keys(statement).expect("narrowed by dynamodb:LeadingKeys");
            for resource in get(statement, "Resource").map(strings).unwrap_or_default() {
                let table = arn_of(resource).expect("resources are !GetAtt <table>.Arn");
                for action in &actions {
                    granted
                        .entry((table.to_owned(), (*action).to_owned()))
                        .or_default()
                        .extend(keys.iter().cloned());
                }
            }
        }
    }
    granted
}

#[test]
fn respond_may_write_only_the_item_kinds_it_needs() {
    use svar_shared::store::dynamo::keys::*;

    let granted = dynamodb_grants("RespondRole");
    let expected = BTreeMap::from([
        (
            (INVITATIONS_TABLE.to_owned(), false),
            patterns(&[CREDENTIAL_PREFIX, INVITATION_PREFIX, GUESS_PREFIX]),
        ),
        (
            // Drafts and the invitation's status (I#), failed look-ups (G#); a mapping
            // link's visitor's invitation: its credentials (C#) and list entry (RI#).
            (INVITATIONS_TABLE.to_owned(), true),
            patterns(&[
                INVITATION_PREFIX,
                GUESS_PREFIX,
                CREDENTIAL_PREFIX,
                ROUND_INVITATIONS_PREFIX,
            ]),
        ),
        (
            (RESPONSES_TABLE.to_owned(), false),
            patterns(&[
                QUESTIONNAIRE_PREFIX,
                MUNICIPALITY_PREFIX,
                ROUND_PREFIX,
                MAPPING_LINK_PREFIX,
                MAPPING_HASH_PREFIX,
                COUNTER_PREFIX,
            ]),
        ),
        (
            // Responses and counter shards; a round's and a mapping link's counts.
            (RESPONSES_TABLE.to_owned(), true),
            patterns(&[
                RESPONSES_PREFIX,
                COUNTER_PREFIX,
                ROUND_PREFIX,
                MAPPING_LINK_PREFIX,
            ]),
        ),
    ]);
    assert_eq!(granted, expected);
    assert_no_write_pattern_matches(
        "RespondRole",
        &granted,
        &[
            QUESTIONNAIRE_PREFIX,
            MUNICIPALITY_PREFIX,
            MAPPING_HASH_PREFIX,
            ORGANISATION_PREFIX,
            NETWORK_SEND_PREFIX,
            REPORT_PREFIX,
            UPLOAD_PREFIX,
        ],
    );
}

#[test]
fn respond_s_actions_are_exactly_what_its_paths_call() {
    use svar_shared::store::dynamo::keys::*;

    let granted = dynamodb_actions("RespondRole");
    let on = |table: &str, action: &str, prefixes: &[&str]| {
        (
            (table.to_owned(), format!("dynamodb:{action}")),
            patterns(prefixes),
        )
    };
    let expected = BTreeMap::from([
        // Opening a link or code, its invitation and draft; failed look-ups.
        on(
            INVITATIONS_TABLE,
            "GetItem",
            &[CREDENTIAL_PREFIX, INVITATION_PREFIX, GUESS_PREFIX],
        ),
        on(
            INVITATIONS_TABLE,
            "Query",
            &[CREDENTIAL_PREFIX, INVITATION_PREFIX, GUESS_PREFIX],
        ),
        // Drafts, submissions, failed look-ups; a mapping visitor's new invitation
        // (I#, two C#, RI#): credentials are only ever created, never changed.
        on(
            INVITATIONS_TABLE,
            "PutItem",
            &[
                INVITATION_PREFIX,
                GUESS_PREFIX,
                CREDENTIAL_PREFIX,
                ROUND_INVITATIONS_PREFIX,
            ],
        ),
        on(
            INVITATIONS_TABLE,
            "UpdateItem",
            &[INVITATION_PREFIX, GUESS_PREFIX],
        ),
        on(
            INVITATIONS_TABLE,
            "DeleteItem",
            &[INVITATION_PREFIX, GUESS_PREFIX],
        ),
        on(
            INVITATIONS_TABLE,
            "ConditionCheckItem",
            &[INVITATION_PREFIX, GUESS_PREFIX],
        ),
        // Pages; a mapping link by its token's pointer, the link and its round.
        on(
            RESPONSES_TABLE,
            "GetItem",
            &[
                QUESTIONNAIRE_PREFIX,
                MUNICIPALITY_PREFIX,
                ROUND_PREFIX,
                MAPPING_LINK_PREFIX,
                MAPPING_HASH_PREFIX,
            ],
        ),
        // The round's answer count against the link's limit.
        on(RESPONSES_TABLE, "BatchGetItem", &[COUNTER_PREFIX]),
        on(
            RESPONSES_TABLE,
            "PutItem",
            &[RESPONSES_PREFIX, COUNTER_PREFIX],
        ),
        // Counter shards; the link's visitor number; the round's issued count and
        // reserved numbers.
        on(
            RESPONSES_TABLE,
            "UpdateItem",
            &[
                RESPONSES_PREFIX,
                COUNTER_PREFIX,
                MAPPING_LINK_PREFIX,
                ROUND_PREFIX,
            ],
        ),
    ]);
    assert_eq!(granted, expected);
}

#[test]
fn admin_may_use_only_the_item_kinds_the_workspace_needs() {
    use svar_shared::store::dynamo::keys::*;

    let granted = dynamodb_grants("AdminRole");
    let invitations = patterns(&[
        INVITATION_PREFIX,
        CREDENTIAL_PREFIX,
        ROUND_INVITATIONS_PREFIX,
        ROUND_BATCHES_PREFIX,
        // Failed sign-ins count like guessed codes.
        GUESS_PREFIX,
        // Export jobs and their locks: created and read (the actions are checked in
        // admin_may_create_and_read_export_jobs_but_not_run_or_delete_them).
        EXPORT_JOBS_PREFIX,
    ]);
    let expected = BTreeMap::from([
        ((INVITATIONS_TABLE.to_owned(), false), invitations.clone()),
        ((INVITATIONS_TABLE.to_owned(), true), invitations),
        (
            (RESPONSES_TABLE.to_owned(), false),
            patterns(&[
                QUESTIONNAIRE_PREFIX,
                MUNICIPALITY_PREFIX,
                ROUND_PREFIX,
                RESPONSES_PREFIX,
                COUNTER_PREFIX,
                ORGANISATION_PREFIX,
                ACCESS_KEY_HASH_PREFIX,
                ACCESS_KEY_PREFIX,
                ORGANISATION_KEYS_PREFIX,
                MUNICIPALITY_ROUNDS_PREFIX,
                NETWORK_ROUNDS_PREFIX,
                AUDIT_PREFIX,
                NETWORK_SEND_PREFIX,
                MAPPING_LINK_PREFIX,
                MAPPING_HASH_PREFIX,
                REPORT_PREFIX,
                REMINDER_PREFIX,
                UPLOAD_PREFIX,
            ]),
        ),
        (
            // Never a response (RESP#) or a municipality's page texts (M#).
            (RESPONSES_TABLE.to_owned(), true),
            patterns(&[
                QUESTIONNAIRE_PREFIX,
                ROUND_PREFIX,
                COUNTER_PREFIX,
                MUNICIPALITY_ROUNDS_PREFIX,
                NETWORK_ROUNDS_PREFIX,
                ORGANISATION_PREFIX,
                ACCESS_KEY_HASH_PREFIX,
                ACCESS_KEY_PREFIX,
                ORGANISATION_KEYS_PREFIX,
                AUDIT_PREFIX,
                // The network's sends, mapping links, reports, reminders, uploads.
                NETWORK_SEND_PREFIX,
                MAPPING_LINK_PREFIX,
                MAPPING_HASH_PREFIX,
                REPORT_PREFIX,
                REMINDER_PREFIX,
                UPLOAD_PREFIX,
            ]),
        ),
    ]);
    assert_eq!(granted, expected);
    assert_no_write_pattern_matches(
        "AdminRole",
        &granted,
        &[RESPONSES_PREFIX, MUNICIPALITY_PREFIX],
    );
}

#[test]
fn admin_may_create_and_read_export_jobs_but_not_run_or_delete_them() {
    use svar_shared::store::dynamo::keys::EXPORT_JOBS_PREFIX;

    let jobs = format!("{EXPORT_JOBS_PREFIX}*");
    let granted = dynamodb_actions("AdminRole");
    let on_jobs: BTreeSet<&str> = granted
        .iter()
        .filter(|((table, _), keys)| table == INVITATIONS_TABLE && keys.contains(&jobs))
        .map(|((_, action), _)| action.as_str())
        .collect();
    // Creating is a transaction of PutItem (job, lock) and UpdateItem (a stalled job
    // marked failed); reading is GetItem and Query. Deleting a lock is the runner's.
    assert_eq!(
        on_jobs,
        BTreeSet::from([
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        ])
    );
    for ((table, _), keys) in &granted {
        assert!(
            table == INVITATIONS_TABLE || !keys.contains(&jobs),
            "export jobs live in the invitations table only"
        );
    }
}

#[test]
fn admin_may_only_append_to_the_audit_trail() {
    let template = template();
    let role = &resources(&template, "AWS::IAM::Role")["AdminRole"];
    let audit = format!("{}*", svar_shared::store::dynamo::keys::AUDIT_PREFIX);
    let policies = get(role, "Properties")
        .and_then(|p| get(p, "Policies"))
        .and_then(Value::as_sequence)
        .expect("inline Policies");
    let mut appends = 0;
    for policy in policies {
        let document = get(policy, "PolicyDocument").expect("policy has a document");
        for statement in statements(document) {
            let Some(keys) = leading_keys(statement) else {
                continue;
            };
            let actions: Vec<&str> = get(statement, "Action")
                .map(strings)
                .unwrap_or_default()
                .into_iter()
                .filter_map(Value::as_str)
                .collect();
            if !keys.contains(&audit) || actions.iter().all(|a| READS.contains(a)) {
                continue;
            }
            assert_eq!(
                actions,
                vec!["dynamodb:PutItem"],
                "the audit trail is append-only: PutItem alone"
            );
            assert_eq!(keys.len(), 1, "PutItem alone only on {audit}");
            appends += 1;
        }
    }
    assert_eq!(appends, 1, "one statement appends to the audit trail");
}

/// The `!Sub` texts of a statement's resources (or condition values).
fn sub_texts(value: &Value) -> Vec<String> {
    strings(value)
        .into_iter()
        .map(|v| match v {
            Value::Tagged(tagged) if tagged.tag == "Sub" => {
                tagged.value.as_str().unwrap_or_default().to_owned()
            }
            other => other.as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

#[test]
fn each_function_reads_only_its_own_ssm_parameters() {
    let template = template();
    let roles = resources(&template, "AWS::IAM::Role");
    let parameter_arn = |name: &str| {
        format!(
            "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter${{{name}}}"
        )
    };
    for (role_id, parameters) in [
        ("RespondRole", vec!["HashKeyParameterName"]),
        (
            "AdminRole",
            vec!["HashKeyParameterName", "SessionSecretParameterName"],
        ),
        // The store opens with the hash key; the export never uses it.
        ("ExportRole", vec!["HashKeyParameterName"]),
    ] {
        let role = roles[role_id];
        let policies = get(role, "Properties")
            .and_then(|p| get(p, "Policies"))
            .and_then(Value::as_sequence)
            .expect("inline Policies");
        let expected: BTreeSet<String> = parameters.iter().map(|p| parameter_arn(p)).collect();
        let mut read = BTreeSet::new();
        let mut decrypt_context = BTreeSet::new();
        for policy in policies {
            let document = get(policy, "PolicyDocument").expect("policy has a document");
            for statement in statements(document) {
                let actions: Vec<&str> = get(statement, "Action")
                    .map(strings)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(Value::as_str)
                    .collect();
                if actions.contains(&"ssm:GetParameter") {
                    assert_eq!(
                        actions,
                        vec!["ssm:GetParameter"],
                        "{role_id}: only GetParameter"
                    );
                    read.extend(sub_texts(get(statement, "Resource").expect("Resource")));
                }
                if actions.contains(&"kms:Decrypt") {
                    let context = get(statement, "Condition")
                        .and_then(|c| get(c, "StringEquals"))
                        .and_then(|c| get(c, "kms:EncryptionContext:PARAMETER_ARN"))
                        .unwrap_or_else(|| {
                            panic!("{role_id}: kms:Decrypt only for its parameters")
                        });
                    decrypt_context.extend(sub_texts(context));
                }
            }
        }
        assert_eq!(read, expected, "{role_id}: ssm:GetParameter resources");
        assert_eq!(
            decrypt_context, expected,
            "{role_id}: kms:Decrypt parameters"
        );
    }
}

#[test]
fn respond_has_no_access_to_keys_batches_or_the_audit_trail() {
    // Its grants are exactly those of respond_may_write_only_the_item_kinds_it_needs;
    // here, that no item kind beyond the respondent's is among them, whatever h-dyn
    // adds to keys.rs later.
    use svar_shared::store::dynamo::keys::*;

    let allowed = patterns(&[
        CREDENTIAL_PREFIX,
        INVITATION_PREFIX,
        GUESS_PREFIX,
        ROUND_INVITATIONS_PREFIX,
        QUESTIONNAIRE_PREFIX,
        MUNICIPALITY_PREFIX,
        RESPONSES_PREFIX,
        COUNTER_PREFIX,
        ROUND_PREFIX,
        MAPPING_LINK_PREFIX,
        MAPPING_HASH_PREFIX,
    ]);
    let never = [
        ACCESS_KEY_HASH_PREFIX,
        ACCESS_KEY_PREFIX,
        ORGANISATION_KEYS_PREFIX,
        ROUND_BATCHES_PREFIX,
        AUDIT_PREFIX,
    ];
    for patterns in dynamodb_grants("RespondRole").values() {
        for pattern in patterns {
            assert!(
                allowed.contains(pattern),
                "RespondRole may use {pattern} items"
            );
            let prefix = pattern.trim_end_matches('*');
            for kind in never {
                assert!(
                    !kind.starts_with(prefix),
                    "RespondRole's {pattern} reaches {kind} items"
                );
            }
        }
    }
}

/// The alarm's metrics as (namespace, metric name, dimension value's logical id).
fn alarm_metrics(alarm: &Value) -> Vec<(String, String, String)> {
    let properties = get(alarm, "Properties").expect("alarm has Properties");
    let one = |metric: &Value| {
        let dimension = get(metric, "Dimensions")
            .and_then(Value::as_sequence)
            .and_then(|d| d.first())
            .and_then(|d| get(d, "Value"))
            .and_then(ref_of)
            .unwrap_or_default()
            .to_owned();
        (
            str_at(metric, &["Namespace"])
                .unwrap_or_default()
                .to_owned(),
            str_at(metric, &["MetricName"])
                .unwrap_or_default()
                .to_owned(),
            dimension,
        )
    };
    match get(properties, "Metrics").and_then(Value::as_sequence) {
        Some(metrics) => metrics
            .iter()
            .filter_map(|m| get(m, "MetricStat").and_then(|s| get(s, "Metric")))
            .map(one)
            .collect(),
        None => vec![one(properties)],
    }
}

#[test]
fn alarms_watch_the_api_the_tables_and_every_function_and_mail_the_given_address() {
    let template = template();
    let parameter = get(&template, "Parameters")
        .and_then(|p| get(p, "AlarmEmail"))
        .expect("an AlarmEmail parameter");
    assert!(
        get(parameter, "Default").is_none(),
        "each stage names its own address"
    );
    let topics = resources(&template, "AWS::SNS::Topic");
    assert_eq!(topics.len(), 1, "one alarm topic");
    let topic = topics.keys().next().expect("one topic").clone();
    let subscriptions = resources(&template, "AWS::SNS::Subscription");
    assert!(
        subscriptions.values().any(|s| {
            let p = get(s, "Properties").expect("Properties");
            str_at(p, &["Protocol"]) == Some("email")
                && get(p, "Endpoint").and_then(ref_of) == Some("AlarmEmail")
                && get(p, "TopicArn").and_then(ref_of) == Some(topic.as_str())
        }),
        "the topic mails AlarmEmail"
    );

    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    let mut watched = BTreeSet::new();
    for (id, alarm) in &alarms {
        let properties = get(alarm, "Properties").expect("Properties");
        for actions in ["AlarmActions", "OKActions"] {
            let targets: Vec<Option<&str>> = get(properties, actions)
                .map(strings)
                .unwrap_or_default()
                .into_iter()
                .map(ref_of)
                .collect();
            assert_eq!(targets, vec![Some(topic.as_str())], "{id}: {actions}");
        }
        assert_eq!(
            str_at(properties, &["TreatMissingData"]),
            Some("notBreaching"),
            "{id}: no traffic is no alarm"
        );
        watched.extend(alarm_metrics(alarm));
    }
    let has = |namespace: &str, metric: &str, resource: &str| {
        watched.contains(&(namespace.to_owned(), metric.to_owned(), resource.to_owned()))
    };
    assert!(
        has("AWS/ApiGateway", "5xx", "HttpApi"),
        "an alarm on the API's 5xx"
    );
    assert!(
        has("AWS/ApiGateway", "Count", "HttpApi"),
        "the 5xx alarm is a rate"
    );
    for table in [RESPONSES_TABLE, INVITATIONS_TABLE] {
        for metric in ["ReadThrottleEvents", "WriteThrottleEvents"] {
            assert!(
                has("AWS/DynamoDB", metric, table),
                "an alarm on {metric} of {table}"
            );
        }
    }
    for function in resources(&template, "AWS::Serverless::Function").keys() {
        assert!(
            has("AWS/Lambda", "Errors", function),
            "an alarm on errors of {function}"
        );
    }
}

#[test]
fn the_function_timeout_outlasts_the_slowest_retried_transaction() {
    let template = template();
    let slowest = svar_shared::startup::SDK_OPERATION_TIMEOUT
        + svar_shared::store::dynamo::TRANSACTION_RETRY_BUDGET;
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        let timeout = function_property(&template, function, "Timeout")
            .and_then(Value::as_u64)
            .unwrap_or(3); // Lambda's default
        assert!(
            std::time::Duration::from_secs(timeout) > slowest,
            "{id}: Timeout {timeout} s must be over {slowest:?}, the SDK's operation time-out plus the store's retry budget"
        );
    }
}

#[test]
fn no_secret_is_written_into_the_template() {
    let text = std::fs::read_to_string(template_path()).expect("template.yaml");
    // The hash key reaches the function only as the name of an SSM parameter.
    assert!(
        !text.contains("SVAR_HASH_KEY:"),
        "SVAR_HASH_KEY must not be set in the template"
    );
    let template = template();
    for name in ["HashKeyParameterName", "SessionSecretParameterName"] {
        let parameter = get(&template, "Parameters")
            .and_then(|p| get(p, name))
            .unwrap_or_else(|| panic!("a parameter {name}"));
        assert!(
            get(parameter, "Default").is_none(),
            "{name} has no default: each stage has its own"
        );
    }
    let globals = get(&template, "Globals").and_then(|g| get(g, "Function"));
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        let variables = [get(function, "Properties"), globals]
            .into_iter()
            .flatten()
            .filter_map(|properties| {
                get(properties, "Environment").and_then(|e| get(e, "Variables"))
            })
            .filter_map(Value::as_mapping);
        for (name, _) in variables.flatten() {
            let name = name.as_str().unwrap_or_default();
            // `..._PARAMETER` is the name of an SSM parameter, not the secret in it.
            let secret_itself = name.contains("SECRET") && !name.ends_with("_PARAMETER");
            assert!(
                !secret_itself && name != "SVAR_HASH_KEY",
                "{id}: {name} looks like a secret in the environment"
            );
        }
    }
}

/// A function's environment variable.
fn variable<'a>(template: &'a Value, function: &str, name: &str) -> Option<&'a Value> {
    let functions = resources(template, "AWS::Serverless::Function");
    let function = functions
        .get(function)
        .unwrap_or_else(|| panic!("no function {function}"));
    get(function, "Properties")
        .and_then(|p| get(p, "Environment"))
        .and_then(|e| get(e, "Variables"))
        .and_then(|v| get(v, name))
}

#[test]
fn the_export_bucket_is_private_encrypted_tls_only_and_expires_exports_after_the_retention() {
    let template = template();
    let buckets = resources(&template, "AWS::S3::Bucket");
    assert_eq!(
        buckets.keys().collect::<Vec<_>>(),
        vec!["ExportBucket"],
        "one bucket"
    );
    let bucket = get(buckets["ExportBucket"], "Properties").expect("Properties");
    for flag in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            get(bucket, "PublicAccessBlockConfiguration")
                .and_then(|c| get(c, flag))
                .and_then(Value::as_bool),
            Some(true),
            "ExportBucket: {flag}"
        );
    }
    let encryption = get(bucket, "BucketEncryption")
        .and_then(|e| get(e, "ServerSideEncryptionConfiguration"))
        .and_then(Value::as_sequence)
        .and_then(|rules| rules.first())
        .and_then(|rule| str_at(rule, &["ServerSideEncryptionByDefault", "SSEAlgorithm"]));
    assert!(
        matches!(encryption, Some("AES256" | "aws:kms")),
        "ExportBucket: encrypted at rest ({encryption:?})"
    );
    let ownership: Vec<&str> = get(bucket, "OwnershipControls")
        .and_then(|o| get(o, "Rules"))
        .and_then(Value::as_sequence)
        .expect("OwnershipControls")
        .iter()
        .filter_map(|rule| str_at(rule, &["ObjectOwnership"]))
        .collect();
    assert_eq!(ownership, vec!["BucketOwnerEnforced"], "no ACLs at all");

    let rules = get(bucket, "LifecycleConfiguration")
        .and_then(|l| get(l, "Rules"))
        .and_then(Value::as_sequence)
        .expect("lifecycle rules");
    let enabled = |rule: &&Value| str_at(rule, &["Status"]) == Some("Enabled");
    let expiring: Vec<&Value> = rules
        .iter()
        .filter(enabled)
        .filter(|rule| get(rule, "ExpirationInDays").is_some())
        .collect();
    assert_eq!(expiring.len(), 1, "one rule expires exports");
    let expire = expiring[0];
    assert_eq!(
        get(expire, "ExpirationInDays").and_then(ref_of),
        Some("RetentionDays"),
        "exports expire after the RetentionDays parameter"
    );
    let prefix = str_at(expire, &["Prefix"]).or_else(|| str_at(expire, &["Filter", "Prefix"]));
    assert_eq!(
        prefix,
        Some(svar_shared::domain::ExportFolder::ROOT),
        "the rule covers the export files"
    );
    assert!(
        rules.iter().filter(enabled).any(|rule| {
            get(rule, "AbortIncompleteMultipartUpload")
                .and_then(|a| get(a, "DaysAfterInitiation"))
                .and_then(Value::as_u64)
                == Some(1)
        }),
        "parts of an upload that never finished go after a day"
    );
    // The configuration accepts 1 to 3650 days (shared/src/config.rs): so does the
    // parameter, so a deployable value is always a valid one.
    let parameter = get(&template, "Parameters")
        .and_then(|p| get(p, "RetentionDays"))
        .expect("a RetentionDays parameter");
    assert_eq!(get(parameter, "MinValue").and_then(Value::as_u64), Some(1));
    assert_eq!(
        get(parameter, "MaxValue").and_then(Value::as_u64),
        Some(3650)
    );

    let policies = resources(&template, "AWS::S3::BucketPolicy");
    let policy = policies
        .values()
        .find(|p| {
            get(p, "Properties")
                .and_then(|p| get(p, "Bucket"))
                .and_then(ref_of)
                == Some("ExportBucket")
        })
        .expect("a bucket policy of ExportBucket");
    let document = get(policy, "Properties")
        .and_then(|p| get(p, "PolicyDocument"))
        .expect("PolicyDocument");
    let statements = statements(document);
    assert!(
        statements
            .iter()
            .all(|s| str_at(s, &["Effect"]) == Some("Deny")),
        "the bucket policy only takes away; roles grant"
    );
    let tls_only = statements.iter().any(|s| {
        let insecure = get(s, "Condition")
            .and_then(|c| get(c, "Bool"))
            .and_then(|b| get(b, "aws:SecureTransport"))
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| v.as_bool().map(|b| b.to_string()))
            });
        let resources: Vec<String> = get(s, "Resource")
            .map(strings)
            .unwrap_or_default()
            .into_iter()
            .map(resource_text)
            .collect();
        insecure.as_deref() == Some("false")
            && str_at(s, &["Principal"]) == Some("*")
            && str_at(s, &["Action"]) == Some("s3:*")
            && resources.contains(&"ExportBucket.Arn".to_owned())
            && resources.contains(&"${ExportBucket.Arn}/*".to_owned())
    });
    assert!(
        tls_only,
        "every request without TLS is denied, on the bucket and its objects"
    );
}

#[test]
fn both_export_users_get_the_bucket_and_the_retention_the_lifecycle_uses() {
    let template = template();
    for function in ["AdminFunction", "ExportFunction"] {
        assert_eq!(
            variable(&template, function, "SVAR_EXPORT_BUCKET").and_then(ref_of),
            Some("ExportBucket"),
            "{function}: SVAR_EXPORT_BUCKET"
        );
        assert_eq!(
            variable(&template, function, "SVAR_EXPORT_RETENTION_DAYS").and_then(ref_of),
            Some("RetentionDays"),
            "{function}: SVAR_EXPORT_RETENTION_DAYS"
        );
    }
    assert_eq!(
        variable(&template, "AdminFunction", "SVAR_EXPORT_FUNCTION").and_then(ref_of),
        Some("ExportFunction"),
        "admin invokes the stack's export function"
    );
    assert!(
        variable(&template, "RespondFunction", "SVAR_EXPORT_BUCKET").is_none(),
        "respond has nothing to do with exports"
    );
}

#[test]
fn the_export_function_has_no_http_events_and_lambdas_longest_timeout() {
    let template = template();
    let functions = resources(&template, "AWS::Serverless::Function");
    let export = functions["ExportFunction"];
    assert!(
        events("ExportFunction", export).is_empty(),
        "only admin starts an export"
    );
    assert_eq!(
        function_property(&template, export, "Timeout").and_then(Value::as_u64),
        Some(900),
        "an export of a million rows must not be cut off"
    );
    let memory = function_property(&template, export, "MemorySize")
        .and_then(Value::as_u64)
        .unwrap_or(128);
    assert!(memory >= 512, "ExportFunction: MemorySize {memory}");
}

#[test]
fn export_may_run_jobs_and_read_responses_but_nothing_else_in_the_tables() {
    use svar_shared::store::dynamo::keys::*;

    let granted = dynamodb_actions("ExportRole");
    let on = |table: &str, action: &str, prefixes: &[&str]| {
        (
            (table.to_owned(), format!("dynamodb:{action}")),
            patterns(prefixes),
        )
    };
    // ExportRunner::run: read, claim, progress, finish (Update + Delete of the lock);
    // the engine: rounds, questionnaires, the count, the responses.
    let expected = BTreeMap::from([
        on(INVITATIONS_TABLE, "GetItem", &[EXPORT_JOBS_PREFIX]),
        on(INVITATIONS_TABLE, "UpdateItem", &[EXPORT_JOBS_PREFIX]),
        on(INVITATIONS_TABLE, "DeleteItem", &[EXPORT_JOBS_PREFIX]),
        on(
            RESPONSES_TABLE,
            "GetItem",
            &[ROUND_PREFIX, QUESTIONNAIRE_PREFIX],
        ),
        on(RESPONSES_TABLE, "BatchGetItem", &[COUNTER_PREFIX]),
        on(RESPONSES_TABLE, "Query", &[RESPONSES_PREFIX]),
    ]);
    assert_eq!(granted, expected);
    // The same through the read/write split every role keeps.
    let grants = dynamodb_grants("ExportRole");
    assert_no_write_pattern_matches("ExportRole", &grants, &[RESPONSES_PREFIX, AUDIT_PREFIX]);
}

/// A resource as text: `X.Arn` for `!GetAtt X.Arn`, the text of a `!Sub`, `!Ref X` as X.
fn resource_text(value: &Value) -> String {
    match value {
        Value::Tagged(tagged)
            if tagged.tag == "GetAtt" || tagged.tag == "Sub" || tagged.tag == "Ref" =>
        {
            tagged.value.as_str().unwrap_or_default().to_owned()
        }
        other => other.as_str().unwrap_or_default().to_owned(),
    }
}

/// `(action, resource)` of every Allow of a role whose action starts with `service:`,
/// with the statement's `s3:prefix` condition if it has one.
fn grants_of(role_id: &str, service: &str) -> BTreeSet<(String, String, Option<String>)> {
    let template = template();
    let role = &resources(&template, "AWS::IAM::Role")[role_id];
    let policies = get(role, "Properties")
        .and_then(|p| get(p, "Policies"))
        .and_then(Value::as_sequence)
        .expect("inline Policies");
    let mut grants = BTreeSet::new();
    for policy in policies {
        let document = get(policy, "PolicyDocument").expect("policy has a document");
        for statement in statements(document) {
            if str_at(statement, &["Effect"]) != Some("Allow") {
                continue;
            }
            let prefix = get(statement, "Condition")
                .and_then(|c| get(c, "StringLike"))
                .and_then(|c| get(c, "s3:prefix"))
                .map(|p| {
                    strings(p)
                        .into_iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                });
            for action in get(statement, "Action").map(strings).unwrap_or_default() {
                let action = action.as_str().unwrap_or_default();
                if !action.starts_with(service) {
                    continue;
                }
                for resource in get(statement, "Resource").map(strings).unwrap_or_default() {
                    grants.insert((action.to_owned(), resource_text(resource), prefix.clone()));
                }
            }
        }
    }
    grants
}

#[test]
fn only_export_writes_export_files_and_only_admin_reads_them_and_starts_exports() {
    let objects = "${ExportBucket.Arn}/exports/*".to_owned();
    let grant = |action: &str, resource: &str, prefix: Option<&str>| {
        (
            action.to_owned(),
            resource.to_owned(),
            prefix.map(str::to_owned),
        )
    };
    assert_eq!(
        grants_of("ExportRole", "s3:"),
        BTreeSet::from([
            grant("s3:PutObject", &objects, None),
            grant("s3:AbortMultipartUpload", &objects, None),
            grant("s3:ListMultipartUploadParts", &objects, None),
            grant("s3:DeleteObject", &objects, None),
            grant("s3:ListBucket", "ExportBucket.Arn", Some("exports/*")),
        ]),
        "ExportRole: S3"
    );
    assert_eq!(
        grants_of("AdminRole", "s3:"),
        BTreeSet::from([grant("s3:GetObject", &objects, None)]),
        "AdminRole: S3, for presigned download URLs only"
    );
    assert_eq!(
        grants_of("AdminRole", "lambda:"),
        BTreeSet::from([grant("lambda:InvokeFunction", "ExportFunction.Arn", None)]),
        "AdminRole: Lambda"
    );
    for role in ["RespondRole", "ExportRole"] {
        assert!(
            grants_of(role, "lambda:").is_empty(),
            "{role} invokes no function"
        );
    }
}
