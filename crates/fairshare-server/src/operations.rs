//! Every operation of `fairshare-ops` served the same way: one generic handler for writes,
//! one for reads, and their OpenAPI entries built from the request and view types. A route of
//! the table is one line: `write::<SetRate>()`.
//!
//! A request is read from the path and the body (writes) or the path and the query (reads):
//! path segments fill the request fields they are named after, so
//! `PUT /api/v1/projects/forillon/rates/design {"per_hour": "45.00"}` is the request
//! `SetRate { project: "forillon", category: "design", per_hour: "45.00" }`.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawPathParams, RawQuery, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use fairshare_ops::log::{Scan, Search};
use fairshare_ops::{Method, Operation, Read, Route, Write};
use serde_json::{Map, Value};
use utoipa::openapi::path::{Operation as DocOperation, Parameter, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, HttpMethod, OpenApi, Ref, RefOr, Required, ResponseBuilder};
use utoipa::{IntoResponses, PartialSchema, ToSchema};

use crate::AppState;
use crate::auth::{Caller, Reader, Sender};
use crate::error::ApiError;
use crate::extract::IdempotencyKey;
use crate::routes::{ReadErrors, WriteErrors};

/// A route of the table: where, its handler, and how to document it.
pub(crate) struct Served {
    pub method: Method,
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
    pub document: fn(&mut OpenApi),
    /// A larger body than [`crate::BODY_LIMIT_BYTES`] that this route takes (a timesheet).
    pub body_limit_bytes: Option<usize>,
}

impl Served {
    /// The route, taking bodies of up to `bytes`.
    pub(crate) fn with_body_limit(self, bytes: usize) -> Served {
        Served {
            body_limit_bytes: Some(bytes),
            ..self
        }
    }
}

fn filter(method: Method) -> MethodFilter {
    match method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Delete => MethodFilter::DELETE,
    }
}

/// A route of `route` served by `handler` and documented by `document`.
fn served<H, T>(route: Route, handler: H, document: fn(&mut OpenApi)) -> Served
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Served {
        method: route.method,
        path: route.path,
        handler: on(filter(route.method), handler),
        document,
        body_limit_bytes: None,
    }
}

/// A write operation's route.
pub(crate) fn write<O: Write>() -> Served {
    served(O::ROUTE, write_handler::<O>, document_write::<O>)
}

/// A read operation's route.
pub(crate) fn read<O: Read>() -> Served {
    served(O::ROUTE, read_handler::<O>, document_read_op::<O>)
}

/// A route answered from the log's rows (`fairshare_ops::log::Scan`).
pub(crate) fn scan<O: Scan>() -> Served {
    served(O::ROUTE, scan_handler::<O>, document_scan::<O>)
}

/// A search of the log's rows beside the state (`fairshare_ops::log::Search`).
pub(crate) fn search<O: Search>() -> Served {
    served(O::ROUTE, search_handler::<O>, document_search::<O>)
}

/// A write a stranger may also send, without a key (asking to join): recorded under the
/// actor the request names for them ([`Write::stranger`]), rate-limited per client address.
pub(crate) fn open_write<O: Write>() -> Served {
    served(O::ROUTE, open_write_handler::<O>, document_open_write::<O>)
}

async fn write_handler<O: Write>(
    State(app): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    params: RawPathParams,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op: O = request_from_body(&params, &body)?;
    run_write(app, caller, key, op).await
}

async fn open_write_handler<O: Write>(
    State(app): State<AppState>,
    sender: Sender,
    key: IdempotencyKey,
    params: RawPathParams,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op: O = request_from_body(&params, &body)?;
    let actor = match sender.agent {
        Some(agent) => agent,
        None => stranger_actor(&app, &op, sender.address)?,
    };
    run_write(app, Caller(actor), key, op).await
}

/// The actor a keyless request is recorded under, once the address's rate limit allows it.
pub(crate) fn stranger_actor<O: Write>(
    app: &AppState,
    op: &O,
    address: std::net::IpAddr,
) -> Result<String, ApiError> {
    let Some(stranger) = op.stranger() else {
        return Err(ApiError::Unauthenticated(
            "this request needs an API key: send `Authorization: Bearer fsk_...`".to_string(),
        ));
    };
    app.joins
        .take(address, std::time::Instant::now())
        .map_err(|wait| ApiError::too_many("requests to join", wait))?;
    Ok(stranger.to_string())
}

async fn run_write<O: Write>(
    app: AppState,
    caller: Caller,
    key: IdempotencyKey,
    op: O,
) -> Result<Response, ApiError> {
    let command = op.command(&caller.0)?;
    let status = if O::CREATES {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    app.write(caller, key, command, status, move |state, executed| {
        op.view(state, executed).map_err(ApiError::from)
    })
    .await
}

async fn read_handler<O: Read>(
    State(app): State<AppState>,
    reader: Reader,
    params: RawPathParams,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let op: O = request_from_query(&params, query.as_deref())?;
    let today = app.clock.today();
    let view = app
        .read(move |state| {
            let reading = reader.reading(state, today);
            op.view(state, &reading).map_err(ApiError::from)
        })
        .await?;
    Ok(view.into_response())
}

async fn scan_handler<O: Scan>(
    State(app): State<AppState>,
    _reader: Reader,
    params: RawPathParams,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    // A scan that takes more than a query holds (two plans to compare) is a POST with a body.
    let op: O = match O::ROUTE.method {
        Method::Post => request_from_body(&params, &body)?,
        _ => request_from_query(&params, query.as_deref())?,
    };
    Ok(Json(run_scan(&app, op).await?).into_response())
}

/// Runs a scan for the API or a dashboard page. A whole-log read takes a permit and a store of
/// its own; a page uses the readers' store.
pub(crate) async fn run_scan<O: Scan>(app: &AppState, op: O) -> Result<O::View, ApiError> {
    let view = if O::HEAVY {
        let _permit = app
            .heavy
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Unavailable("the server is stopping".into()))?;
        let backend = app.backend.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = backend.open_store(fairshare_ops::backend::Access::ReadOnly)?;
            op.view(store.as_mut()).map_err(ApiError::from)
        })
        .await??
    } else {
        let model = app.model.clone();
        tokio::task::spawn_blocking(move || {
            model.with_store(|store| op.view(store).map_err(ApiError::from))
        })
        .await??
    };
    Ok(view)
}

async fn search_handler<O: Search>(
    State(app): State<AppState>,
    _reader: Reader,
    params: RawPathParams,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let op: O = request_from_query(&params, query.as_deref())?;
    Ok(Json(run_search(&app, op).await?).into_response())
}

/// Runs a search for the API, on the readers' store and state (the log page adds the head:
/// `web::log`).
pub(crate) async fn run_search<O: Search>(app: &AppState, op: O) -> Result<O::View, ApiError> {
    app.model.ensure_fresh().await?;
    let model = app.model.clone();
    tokio::task::spawn_blocking(move || {
        model.with_store(|store| {
            // The store before the state, as the read model's own catch-up takes them.
            let state = model.state().blocking_read();
            op.view(store, &state).map_err(ApiError::from)
        })
    })
    .await?
}

/// The path's fields, as text.
fn path_pairs(params: &RawPathParams) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// A write's request: its JSON body (an object; empty or `null` means `{}`) with the path's
/// fields.
pub(crate) fn request_from_body<O: Operation>(
    params: &RawPathParams,
    body: &[u8],
) -> Result<O, ApiError> {
    let mut fields = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice(body) {
            Ok(Value::Object(fields)) => fields,
            // A write whose fields are all in its path may be sent `null`.
            Ok(Value::Null) => Map::new(),
            Ok(_) => {
                return Err(ApiError::BadRequest(
                    "the body must be a JSON object".into(),
                ));
            }
            Err(e) => return Err(ApiError::BadRequest(format!("malformed JSON body: {e}"))),
        }
    };
    for (name, value) in path_pairs(params) {
        if fields.contains_key(&name) {
            return Err(ApiError::BadRequest(format!(
                "`{name}` is given by the path: leave it out of the body"
            )));
        }
        fields.insert(name, Value::String(value));
    }
    serde_path_to_error::deserialize(Value::Object(fields))
        .map_err(|e| ApiError::BadRequest(format!("malformed request: {}", field_error(&e))))
}

/// A read's request: the query's fields with the path's.
pub(crate) fn request_from_query<O: Operation>(
    params: &RawPathParams,
    query: Option<&str>,
) -> Result<O, ApiError> {
    let pairs: Vec<(String, String)> = match query {
        Some(query) => serde_urlencoded::from_str(query)
            .map_err(|e| ApiError::BadRequest(format!("malformed query: {e}")))?,
        None => Vec::new(),
    };
    request_from_pairs(pairs, path_pairs(params), "query")
}

/// A request from text fields (a query, a form) and the path's fields, which may not be
/// given twice.
pub(crate) fn request_from_pairs<O: Operation>(
    mut pairs: Vec<(String, String)>,
    path: Vec<(String, String)>,
    from: &str,
) -> Result<O, ApiError> {
    for (name, value) in path {
        if pairs.iter().any(|(n, _)| *n == name) {
            return Err(ApiError::BadRequest(format!(
                "`{name}` is given by the path: leave it out of the {from}"
            )));
        }
        pairs.push((name, value));
    }
    let encoded = serde_urlencoded::to_string(&pairs)
        .map_err(|e| ApiError::Internal(format!("re-encoding a {from}: {e}")))?;
    let fields = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(fields)
        .map_err(|e| ApiError::BadRequest(format!("malformed {from}: {}", field_error(&e))))
}

/// A deserialisation error that names the field it is in (`limit: invalid digit ...`).
pub(crate) fn field_error<E: std::fmt::Display>(error: &serde_path_to_error::Error<E>) -> String {
    let path = error.path().to_string();
    if path == "." {
        error.inner().to_string()
    } else {
        format!("{path}: {}", error.inner())
    }
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

fn http_method(method: Method) -> HttpMethod {
    match method {
        Method::Get => HttpMethod::Get,
        Method::Post => HttpMethod::Post,
        Method::Put => HttpMethod::Put,
        Method::Delete => HttpMethod::Delete,
    }
}

/// `SetRate` -> `set_rate`.
pub(crate) fn operation_id<O>() -> String {
    let name = std::any::type_name::<O>()
        .rsplit("::")
        .next()
        .unwrap_or_default();
    let mut id = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            id.push('_');
        }
        id.push(c.to_ascii_lowercase());
    }
    id
}

/// The request's own object schema (its fields), inlined. A request that flattens another
/// struct into itself (`#[serde(flatten)]`, documented as an `allOf` of the parts) has the
/// fields of every part.
pub(crate) fn request_object<O: Operation>() -> Object {
    let mut parts = Vec::new();
    <O as ToSchema>::schemas(&mut parts);
    inline_object(<O as PartialSchema>::schema(), &parts)
}

/// The fields of `schema`, following references to the named schemas in `parts`.
fn inline_object(schema: RefOr<Schema>, parts: &[(String, RefOr<Schema>)]) -> Object {
    match schema {
        RefOr::T(Schema::Object(object)) => object,
        RefOr::T(Schema::AllOf(all)) => {
            let mut merged = ObjectBuilder::new().schema_type(Type::Object).build();
            for item in all.items {
                let part = inline_object(item, parts);
                merged.properties.extend(part.properties);
                merged.required.extend(part.required);
            }
            merged
        }
        RefOr::Ref(reference) => {
            let name = reference
                .ref_location
                .rsplit('/')
                .next()
                .unwrap_or_default();
            parts
                .iter()
                .find(|(part, _)| part == name)
                .map(|(_, schema)| inline_object(schema.clone(), parts))
                .unwrap_or_default()
        }
        _ => Object::new(),
    }
}

fn path_parameter(route: &Route, object: &Object, name: &str) -> Parameter {
    let mut parameter = Parameter::new(name);
    parameter.parameter_in = ParameterIn::Path;
    parameter.required = Required::True;
    parameter.schema = object.properties.get(name).cloned();
    parameter.description = Some(format!("The {name} in {}", route.path));
    parameter
}

/// Registers a type's schema and the schemas it refers to.
fn register<T: ToSchema>(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    let mut schemas = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut schemas);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
}

/// The operation's skeleton: id, tag, summary, path parameters, its view as the answer.
fn base<O: Operation>(
    status: &str,
    errors: BTreeMap<String, RefOr<utoipa::openapi::Response>>,
) -> (DocOperation, Object) {
    let route = O::ROUTE;
    let object = request_object::<O>();
    let mut operation = DocOperation::new();
    operation.operation_id = Some(operation_id::<O>());
    operation.tags = Some(vec![route.tag.to_string()]);
    operation.summary = Some(route.summary.to_string());
    let parameters = route
        .path_fields()
        .map(|name| path_parameter(&route, &object, name))
        .collect::<Vec<_>>();
    operation.parameters = Some(parameters);
    let view = Ref::from_schema_name(<O::View as ToSchema>::name());
    let answer = ResponseBuilder::new()
        .description("The answer")
        .content("application/json", Content::new(Some(view)))
        .build();
    operation
        .responses
        .responses
        .insert(status.to_string(), RefOr::T(answer));
    operation.responses.responses.extend(errors);
    (operation, object)
}

fn add(openapi: &mut OpenApi, route: Route, operation: DocOperation) {
    openapi
        .paths
        .add_path_operation(route.path, vec![http_method(route.method)], operation);
}

fn document_write<O: Write>(openapi: &mut OpenApi) {
    let operation = write_operation::<O>(openapi);
    add(openapi, O::ROUTE, operation);
}

/// A write anyone may send: the key is optional, and a keyless sender may be told to wait.
fn document_open_write<O: Write>(openapi: &mut OpenApi) {
    let mut operation = write_operation::<O>(openapi);
    operation.security = Some(vec![
        SecurityRequirement::default(),
        SecurityRequirement::new("api_key", Vec::<String>::new()),
    ]);
    let wait = ResponseBuilder::new()
        .description(
            "Too many keyless requests, or bad keys, from this address lately: try again after \
             `Retry-After` seconds",
        )
        .content(
            "application/problem+json",
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build();
    operation
        .responses
        .responses
        .insert("429".to_string(), RefOr::T(wait));
    add(openapi, O::ROUTE, operation);
}

fn write_operation<O: Write>(openapi: &mut OpenApi) -> DocOperation {
    register::<O::View>(openapi);
    register::<O>(openapi);
    let status = if O::CREATES { "201" } else { "200" };
    let (mut operation, object) = base::<O>(status, WriteErrors::responses());
    if !O::REFUSES_ROLES {
        operation.responses.responses.remove("403");
    }
    if !O::NAMES_EXISTING {
        operation.responses.responses.remove("404");
    }
    let mut key = Parameter::new("Idempotency-Key");
    key.parameter_in = ParameterIn::Header;
    key.required = Required::False;
    key.description = Some(
        "A retry with the same key and request returns the first result \
         (with `Idempotent-Replayed: true`); with another request it is refused (409)"
            .to_string(),
    );
    key.schema = Some(idempotency_key_schema());
    operation.parameters.get_or_insert_with(Vec::new).push(key);
    operation.request_body = body_of::<O>(object);
    operation.security = Some(vec![SecurityRequirement::new(
        "api_key",
        Vec::<String>::new(),
    )]);
    operation
}

/// An idempotency key as the book accepts it: 1 to `KEY_LEN_MAX` printable characters. A
/// parameter without a schema is not a valid OpenAPI parameter (clients cannot generate it).
fn idempotency_key_schema() -> RefOr<Schema> {
    let text = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(fairshare_book::KEY_LEN_MAX))
        .pattern(Some("^[\\x20-\\x7E]+$"))
        .build();
    RefOr::T(Schema::Object(text))
}

/// The JSON body of a request: its fields but those of the path (none left: no body).
fn body_of<O: Operation>(mut object: utoipa::openapi::schema::Object) -> Option<RequestBody> {
    for name in O::ROUTE.path_fields() {
        object.properties.remove(name);
        object.required.retain(|r| r != name);
    }
    (!object.properties.is_empty()).then(|| {
        RequestBody::builder()
            .content(
                "application/json",
                Content::new(Some(RefOr::T(Schema::Object(object)))),
            )
            .required(Some(Required::True))
            .build()
    })
}

/// A scan of the log: a read whose request is its query, or a JSON body (a `POST` that
/// records nothing).
fn document_scan<O: Scan>(openapi: &mut OpenApi) {
    let mut operation = match O::ROUTE.method {
        Method::Post => read_body_operation::<O>(openapi),
        _ => read_operation::<O>(openapi),
    };
    if O::NAMES_EXISTING {
        operation.responses.responses.insert(
            "404".to_string(),
            problem_answer("Something named does not exist"),
        );
    }
    add(openapi, O::ROUTE, operation);
}

fn read_body_operation<O: Operation>(openapi: &mut OpenApi) -> DocOperation {
    register::<O::View>(openapi);
    register::<O>(openapi);
    let (mut operation, object) = base::<O>("200", ReadErrors::responses());
    operation.responses.responses.insert(
        "422".to_string(),
        problem_answer("A refused value in the request"),
    );
    operation.request_body = body_of::<O>(object);
    operation.security = Some(vec![
        SecurityRequirement::default(),
        SecurityRequirement::new("api_key", Vec::<String>::new()),
    ]);
    operation
}

/// A read of the state: 404 only where it names something, 403 only where some readers are
/// refused by their role.
/// A search names nothing that must exist: what matches nothing answers no events.
fn document_search<O: Search>(openapi: &mut OpenApi) {
    let operation = read_operation::<O>(openapi);
    add(openapi, O::ROUTE, operation);
}

fn document_read_op<O: Read>(openapi: &mut OpenApi) {
    let mut operation = read_operation::<O>(openapi);
    let answers = &mut operation.responses.responses;
    if !O::REFUSES_QUERY_VALUES {
        answers.remove("422");
    }
    if O::NAMES_EXISTING {
        answers.insert(
            "404".to_string(),
            problem_answer("Something named does not exist"),
        );
    }
    if O::REFUSES_ROLES {
        answers.insert(
            "403".to_string(),
            problem_answer("The caller's role may not read this"),
        );
    }
    add(openapi, O::ROUTE, operation);
}

/// A page's `limit`: every list answers at most `PAGE_LIMIT_MAX` rows at a time (422 past
/// it), which a client can only know from the document.
fn page_limit_schema() -> RefOr<Schema> {
    let limit = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(fairshare_ops::PAGE_LIMIT_MAX as f64))
        .build();
    RefOr::T(Schema::Object(limit))
}

/// An error answer: a problem document.
fn problem_answer(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .build(),
    )
}

fn read_operation<O: Operation>(openapi: &mut OpenApi) -> DocOperation {
    register::<O::View>(openapi);
    register::<O>(openapi);
    let (mut operation, object) = base::<O>("200", ReadErrors::responses());
    let path: Vec<&str> = O::ROUTE.path_fields().collect();
    let queries = object
        .properties
        .iter()
        .filter(|(name, _)| !path.contains(&name.as_str()))
        .map(|(name, schema)| {
            let mut parameter = Parameter::new(name.as_str());
            parameter.parameter_in = ParameterIn::Query;
            parameter.required = if object.required.contains(name) {
                Required::True
            } else {
                Required::False
            };
            parameter.schema = Some(if name == "limit" {
                page_limit_schema()
            } else {
                schema.clone()
            });
            parameter
        })
        .collect::<Vec<_>>();
    if !queries.is_empty() {
        operation.responses.responses.insert(
            "422".to_string(),
            problem_answer("A query value out of range"),
        );
    }
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .extend(queries);
    operation.security = Some(vec![
        SecurityRequirement::default(),
        SecurityRequirement::new("api_key", Vec::<String>::new()),
    ]);
    operation
}
