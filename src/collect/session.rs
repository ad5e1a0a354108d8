//! The session with one endpoint: the service content, Login and Logout.
//!
//! RetrieveServiceContent comes first: the managed object IDs of the property collector, the
//! view manager and the session manager differ between vCenter and ESXi, so they are read,
//! never assumed, and `about` says which of the two the server is. Login sends the user name
//! and password (escaped; the password only here, and never in a log or a request dump); the
//! client then holds the session cookie. Logout ends it, once (the caller logs out as soon as
//! it needs nothing more from the server, and also after an error).

use super::client::{Client, Password};
use super::error::{CallError, Step, StepError};
use super::soap::{esc, MoRef, Node};

/// What RetrieveServiceContent told us.
#[derive(Debug, Clone)]
pub struct ServiceContent {
    pub root_folder: MoRef,
    pub property_collector: MoRef,
    pub view_manager: MoRef,
    pub session_manager: MoRef,
    /// `about.fullName`, e.g. `VMware vCenter Server 8.0.2 build-22385739`.
    pub full_name: Option<String>,
    /// `about.apiType`: `VirtualCenter` or `HostAgent`.
    pub api_type: Option<String>,
    pub api_version: Option<String>,
}

impl ServiceContent {
    pub fn is_esxi(&self) -> bool {
        self.api_type.as_deref() == Some("HostAgent")
    }
}

fn moref_at(node: &Node, name: &str) -> Result<MoRef, CallError> {
    node.child(name).and_then(Node::as_moref).ok_or_else(|| {
        CallError::Protocol(format!("the service content has no `{name}` reference"))
    })
}

pub async fn retrieve_service_content(client: &Client) -> Result<ServiceContent, StepError> {
    let this = MoRef::new("ServiceInstance", "ServiceInstance");
    let resp = client
        .invoke("RetrieveServiceContent", &this, "")
        .await
        .step("RetrieveServiceContent")?;
    let rv = resp
        .child("returnval")
        .ok_or_else(|| CallError::Protocol("RetrieveServiceContent without returnval".into()))
        .step("RetrieveServiceContent")?;
    let get = |name| {
        moref_at(rv, name).map_err(|error| StepError {
            step: "RetrieveServiceContent",
            error,
        })
    };
    Ok(ServiceContent {
        root_folder: get("rootFolder")?,
        property_collector: get("propertyCollector")?,
        view_manager: get("viewManager")?,
        session_manager: get("sessionManager")?,
        full_name: rv.text_at("about.fullName"),
        api_type: rv.text_at("about.apiType"),
        api_version: rv.text_at("about.apiVersion"),
    })
}

pub async fn login(
    client: &Client,
    sc: &ServiceContent,
    user: &str,
    password: &Password,
) -> Result<(), StepError> {
    let args = format!(
        "<userName>{}</userName><password>{}</password>",
        esc(user),
        esc(password.expose())
    );
    client
        .invoke("Login", &sc.session_manager, &args)
        .await
        .step("Login")?;
    Ok(())
}

/// Log the session out, once: nothing is sent when it was logged out already (or never
/// logged in).
pub async fn logout(client: &Client, sc: &ServiceContent) -> Result<(), CallError> {
    if !client.end_session() {
        return Ok(());
    }
    client
        .invoke("Logout", &sc.session_manager, "")
        .await
        .map(|_| ())
}
