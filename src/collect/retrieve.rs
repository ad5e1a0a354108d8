//! Paged retrieval: container views, property collectors and RetrievePropertiesEx with its
//! continuations.
//!
//! [`create_view`] opens a container view over the whole inventory (recursive, for the types
//! asked), and [`create_collector`] a property collector of the session's own (one per stream
//! of the host pass, so that the server serves the streams side by side); the client remembers
//! both until [`destroy_view`] (or [`destroy_open_views`], after an error or a timeout) destroys
//! them (DestroyView or DestroyPropertyCollector, by the object's type). [`view_members`] reads
//! the managed objects a view holds in one request (its `view` property). [`retrieve`] reads
//! properties of every object of a view, and [`retrieve_from`] of a view or a list of objects
//! through a given collector, in pages of `maxObjects`: RetrievePropertiesEx, then
//! ContinueRetrievePropertiesEx while a token comes back, each page parsed as it streams in
//! ([`super::page`]) and handed over object by object (converted on the parser's thread by the
//! caller's [`Convert`]), so memory stays bounded on 40,000-host estates. A page that fails cancels the retrieval (CancelRetrievePropertiesEx)
//! when its token was read.

use super::client::Client;
use super::error::{CallError, Step, StepError};
use super::object::ObjectContent;
use super::page::{self, as_is, Convert, PageEnd, PageError};
use super::session::ServiceContent;
use super::soap::{esc, MoRef, Node};
use tokio::sync::oneshot;

pub async fn create_view(
    client: &Client,
    sc: &ServiceContent,
    types: &[&str],
) -> Result<MoRef, StepError> {
    let mut args = sc.root_folder.to_xml("container");
    for t in types {
        args.push_str(&format!("<type>{}</type>", esc(t)));
    }
    args.push_str("<recursive>true</recursive>");
    let resp = client
        .invoke("CreateContainerView", &sc.view_manager, &args)
        .await
        .step("CreateContainerView")?;
    let view = resp
        .child("returnval")
        .and_then(Node::as_moref)
        .ok_or_else(|| CallError::Protocol("CreateContainerView returned no view".into()))
        .step("CreateContainerView")?;
    client.view_opened(&view);
    Ok(view)
}

/// A property collector of the session's own (CreatePropertyCollector), remembered by the
/// client like a view until it is destroyed.
pub async fn create_collector(client: &Client, sc: &ServiceContent) -> Result<MoRef, StepError> {
    let resp = client
        .invoke("CreatePropertyCollector", &sc.property_collector, "")
        .await
        .step("CreatePropertyCollector")?;
    let collector = resp
        .child("returnval")
        .and_then(Node::as_moref)
        .ok_or_else(|| CallError::Protocol("CreatePropertyCollector returned no collector".into()))
        .step("CreatePropertyCollector")?;
    client.view_opened(&collector);
    Ok(collector)
}

/// Destroy a view, or a collector made by [`create_collector`] (DestroyPropertyCollector),
/// once: a view destroyed already (or never made by this client) is left alone.
pub async fn destroy_view(client: &Client, view: &MoRef) {
    if !client.view_closed(view) {
        return;
    }
    let method = if view.kind == "PropertyCollector" {
        "DestroyPropertyCollector"
    } else {
        "DestroyView"
    };
    if let Err(e) = client.invoke(method, view, "").await {
        tracing::debug!("{method} {view}: {e}");
    }
}

/// Destroy the views and collectors still open, e.g. when the source's time ran out in the
/// middle of a pass; side by side, one request in a row before Logout.
pub async fn destroy_open_views(client: &Client) {
    let open = client.open_views();
    futures_util::future::join_all(open.iter().map(|v| destroy_view(client, v))).await;
}

/// Which objects a retrieval reads.
#[derive(Debug, Clone, Copy)]
pub enum Objects<'a> {
    /// Every object of a container view (not the view itself).
    InView(&'a MoRef),
    /// These objects.
    List(&'a [MoRef]),
}

/// Whether `oc` is an object that no longer exists (removed since it was listed).
pub fn is_gone(oc: &ObjectContent) -> bool {
    oc.props.is_empty() && (oc.missing.iter()).any(|(_, f)| f.is("ManagedObjectNotFound"))
}

/// The managed objects `view` holds, read in one request (the view's `view` property), in
/// the server's order.
pub async fn view_members(
    client: &Client,
    sc: &ServiceContent,
    view: &MoRef,
) -> Result<Vec<MoRef>, StepError> {
    let mut members = Vec::new();
    retrieve_from(
        client,
        &sc.property_collector,
        Objects::List(std::slice::from_ref(view)),
        &[("ContainerView", &["view"])],
        1,
        &as_is(),
        |oc| {
            if let Some(list) = oc.props.get("view") {
                members.extend(list.items().into_iter().filter_map(Node::as_moref));
            }
        },
        None,
    )
    .await?;
    Ok(members)
}

/// Read `props` of every object of `view`, `max_objects` per page, handing each object,
/// converted by `convert`, to `each` as its page arrives.
pub async fn retrieve<T: Send + 'static>(
    client: &Client,
    sc: &ServiceContent,
    view: &MoRef,
    props: &[(&str, &[&str])],
    max_objects: u32,
    convert: &Convert<T>,
    each: impl FnMut(T),
) -> Result<(), StepError> {
    let collector = &sc.property_collector;
    let objects = Objects::InView(view);
    retrieve_from(
        client,
        collector,
        objects,
        props,
        max_objects,
        convert,
        each,
        None,
    )
    .await
}

/// [`retrieve`] of `objects` through `collector` (the session's default one or one made by
/// [`create_collector`]). An object of a [`Objects::List`] that no longer exists comes back
/// with only a ManagedObjectNotFound fault in its `missing` ([`is_gone`]). `last_body`, when
/// given, is told as soon as the whole body of the last page has arrived, while its objects
/// may still be being converted and handed over: from then on the retrieval needs nothing
/// more from the server, whatever it returns (it is dropped untold when a page fails before).
#[allow(clippy::too_many_arguments)]
pub async fn retrieve_from<T: Send + 'static>(
    client: &Client,
    collector: &MoRef,
    objects: Objects<'_>,
    props: &[(&str, &[&str])],
    max_objects: u32,
    convert: &Convert<T>,
    mut each: impl FnMut(T),
    mut last_body: Option<oneshot::Sender<()>>,
) -> Result<(), StepError> {
    let mut spec = String::from("<specSet>");
    for (kind, paths) in props {
        spec.push_str(&format!("<propSet><type>{}</type>", esc(kind)));
        for p in *paths {
            spec.push_str(&format!("<pathSet>{}</pathSet>", esc(p)));
        }
        spec.push_str("</propSet>");
    }
    match objects {
        Objects::InView(view) => spec.push_str(&format!(
            concat!(
                "<objectSet>{}<skip>true</skip>",
                r#"<selectSet xsi:type="TraversalSpec"><name>traverseView</name>"#,
                "<type>ContainerView</type><path>view</path><skip>false</skip></selectSet>",
                "</objectSet>"
            ),
            view.to_xml("obj"),
        )),
        Objects::List(list) => {
            for obj in list {
                spec.push_str(&format!("<objectSet>{}</objectSet>", obj.to_xml("obj")));
            }
            // An object gone since it was listed comes back with a ManagedObjectNotFound in
            // its missingSet, instead of failing the whole call.
            spec.push_str("<reportMissingObjectsInResults>true</reportMissingObjectsInResults>");
        }
    }
    spec.push_str(&format!(
        "</specSet><options><maxObjects>{}</maxObjects></options>",
        max_objects.max(1)
    ));
    let mut resp = client
        .open("RetrievePropertiesEx", collector, &spec)
        .await
        .step("RetrievePropertiesEx")?;
    let mut step = "RetrievePropertiesEx";
    let next = |token: String| async move {
        let args = format!("<token>{}</token>", esc(&token));
        client
            .open("ContinueRetrievePropertiesEx", collector, &args)
            .await
    };
    let cancel = |token: String| async move {
        let args = format!("<token>{}</token>", esc(&token));
        let _ = client
            .invoke("CancelRetrievePropertiesEx", collector, &args)
            .await;
    };
    // Every object of a property-collector answer names its managed object (`obj`); one that
    // does not is a malformed answer, never a host without a name (nor converted into one).
    let inner = convert.clone();
    let convert: Convert<Option<T>> =
        std::sync::Arc::new(move |oc: ObjectContent| oc.obj.is_some().then(|| inner(oc)));
    let without_obj = std::sync::atomic::AtomicBool::new(false);
    let mut checked = |converted: Option<T>| match converted {
        None => without_obj.store(true, std::sync::atomic::Ordering::Relaxed),
        Some(t) if !without_obj.load(std::sync::atomic::Ordering::Relaxed) => each(t),
        Some(_) => {}
    };
    loop {
        let max = client.max_response_bytes();
        let body_error = |e: &reqwest::Error| client.body_error(e);
        let end = page::read_page(
            resp,
            max,
            body_error,
            next,
            &convert,
            &mut checked,
            &mut last_body,
        );
        let end = end.await;
        if without_obj.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(PageEnd::Next(token, _)) = end {
                cancel(token).await;
            }
            return Err(StepError {
                step,
                error: CallError::Protocol(
                    "an object of the answer has no `obj` (managed object reference)".into(),
                ),
            });
        }
        match end {
            Ok(PageEnd::Last) => {
                // A last page that was parsed before its body was known to have ended (a
                // short one, or an empty answer): nothing more is needed now either.
                if let Some(tx) = last_body.take() {
                    let _ = tx.send(());
                }
                return Ok(());
            }
            Ok(PageEnd::Next(_, Ok(r))) => {
                resp = r;
                step = "ContinueRetrievePropertiesEx";
            }
            Ok(PageEnd::Next(token, Err(error))) => {
                cancel(token).await;
                return Err(StepError {
                    step: "ContinueRetrievePropertiesEx",
                    error,
                });
            }
            Err(PageError { error, token }) => {
                if let Some(t) = token {
                    cancel(t).await;
                }
                return Err(StepError { step, error });
            }
        }
    }
}
