//! The OpenAPI 3.1 document: the handlers' `#[utoipa::path]` attributes, plus what every
//! operation shares, added in one place so no handler can forget it: the `bearer`
//! security requirement (every operation but the document itself) and the error
//! responses any authenticated request can end in (401, 500, 503); and the links from
//! an answer that makes something to the operations on it (so a client, and
//! schemathesis, can follow a new round's id to open and close it).

use std::sync::OnceLock;

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;

/// The path of the document itself: the only operation without a key.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";
const SCHEME: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Svar workspace API",
        description = "The workspace of municipalities and the network: access keys, survey rounds, invitations, response rates, the audit trail, the network's rounds, anonymised exports and the network's comparison. Send an access key as `Authorization: Bearer svar_...`. Errors are JSON: `{code, message, field?}`, where `code` is stable and `message` is plain Swedish for people.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    paths(
        super::openapi_json,
        super::me::me,
        super::keys::list,
        super::keys::create,
        super::keys::revoke,
        super::rounds::list,
        super::rounds::create,
        super::rounds::get,
        super::rounds::open,
        super::rounds::close,
        super::invitations::make,
        super::invitations::batches,
        super::invitations::remind,
        super::invitations::reissue,
        super::rates::rates,
        super::audit::page,
        super::network::list,
        super::network::send,
        super::network_rounds::create_link, super::network_rounds::own_answers, super::network_rounds::report, super::network_rounds::save_report, super::network_rounds::reopen_report,
        super::network_side::remind, super::network_side::send_answers, super::network_side::upload,
        super::exports::request, super::exports::list, super::exports::get, super::exports::link, super::exports::comparison,
    ),
    components(schemas(ApiError)),
    modifiers(&Shared),
)]
pub struct ApiDoc;

/// The document as JSON, made once.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        // Serialising a document of plain maps and strings cannot fail; an empty object
        // would be caught by the tests that parse it.
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|_| "{}".to_owned())
    })
}

/// The additions every operation gets.
struct Shared;

/// Errors any request with a key can end in, whatever the operation.
const SHARED_ERRORS: &[(&str, &str)] = &[
    (
        "401",
        "No access key, or one that is unknown or revoked (`unauthenticated`).",
    ),
    (
        "500",
        "Our own fault, logged (`internal`); nothing was changed.",
    ),
    (
        "503",
        "Storage could not be reached (`unavailable`); nothing was changed. Try again after `Retry-After` seconds.",
    ),
];

impl Modify for Shared {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("svar access key")
                    .description(Some(
                        "An access key of the organisation, `svar_` and 32 characters, as shown once when it was made.",
                    ))
                    .build(),
            ),
        );
        add_links(document);
        for (path, item) in document.paths.paths.iter_mut() {
            if path == DOCUMENT_PATH {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                operation.security =
                    Some(vec![SecurityRequirement::new(SCHEME, Vec::<String>::new())]);
                for (status, description) in SHARED_ERRORS {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| error_response(description).into());
                }
            }
        }
    }
}

/// `(path, method, status)` of an answer that makes something, the operations its id
/// leads to, and where the id is in its body.
const LINKS: &[(&str, &str, &str, &[&str], &str)] = &[
    (
        "/api/exporter",
        "post",
        "202",
        &["get_export"],
        "$response.body#/id",
    ),
    (
        "/api/rounds",
        "post",
        "201",
        &[
            "get_round",
            "open_round",
            "close_round",
            "make_invitations",
            "round_batches",
            "make_reminders",
            "round_rates",
        ],
        "$response.body#/id",
    ),
    (
        "/api/keys",
        "post",
        "201",
        &["revoke_key"],
        "$response.body#/key/id",
    ),
    (
        "/api/network/sends",
        "post",
        "201",
        &["send_answers"],
        "$response.body#/id",
    ),
    (
        "/api/network/sends",
        "post",
        "201",
        &["get_report", "reopen_report", "remind_municipality"],
        "$response.body#/rounds/0/round",
    ),
];

fn add_links(document: &mut Document) {
    for (path, method, status, operations, id) in LINKS {
        let Some(item) = document.paths.paths.get_mut(*path) else {
            continue;
        };
        let operation = match *method {
            "post" => item.post.as_mut(),
            _ => item.get.as_mut(),
        };
        let Some(RefOr::T(response)) =
            operation.and_then(|o| o.responses.responses.get_mut(*status))
        else {
            continue;
        };
        for target in *operations {
            response.links.insert(
                (*target).to_owned(),
                RefOr::T(
                    LinkBuilder::new()
                        .operation_id(*target)
                        .parameter("id", *id)
                        .build(),
                ),
            );
        }
    }
}

/// A response whose body is an [`ApiError`].
pub fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ApiError"))),
        )
        .build()
}
