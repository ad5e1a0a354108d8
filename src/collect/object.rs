//! One object of a property-collector answer: its reference, its properties by path, and the
//! properties the server refused for it (`missingSet`, with the fault).
//!
//! [`object_content`] reads one `objects` element of a RetrieveResult into an
//! [`ObjectContent`]. The streaming page reader ([`super::page`]) produces them, the mapping
//! ([`super::map`]) consumes them; neither needs the other.

use std::collections::BTreeMap;

use super::soap::{Fault, MoRef, Node};

/// One object of a RetrievePropertiesEx answer.
#[derive(Debug, Default)]
pub struct ObjectContent {
    pub obj: Option<MoRef>,
    pub props: BTreeMap<String, Node>,
    /// Properties the server refused for this object, with the fault.
    pub missing: Vec<(String, Fault)>,
}

impl ObjectContent {
    /// The trimmed text of property `name`, `None` when absent or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        let t = self.props.get(name)?.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }
}

/// One `objects` element of a RetrieveResult.
pub fn object_content(mut part: Node) -> ObjectContent {
    let mut oc = ObjectContent::default();
    for mut c in std::mem::take(&mut part.children) {
        match &*c.name {
            "obj" => oc.obj = c.as_moref(),
            "propSet" => {
                let mut name = String::new();
                let mut val = None;
                for pc in std::mem::take(&mut c.children) {
                    match &*pc.name {
                        "name" => name = pc.text.trim().to_string(),
                        "val" => val = Some(pc),
                        _ => {}
                    }
                }
                if let Some(v) = val {
                    oc.props.insert(name, v);
                }
            }
            "missingSet" => {
                let path = c.text_at("path").unwrap_or_default();
                let message = c.text_at("fault.localizedMessage").unwrap_or_default();
                let fault = Fault::read(c.path("fault.fault"), message);
                oc.missing.push((path, fault));
            }
            _ => {}
        }
    }
    oc
}

/// The objects and the token of a whole RetrieveResult answer (the streaming reader in
/// [`super::page`] does the same as the answer arrives).
#[cfg(test)]
pub(crate) fn objects_of(mut resp: Node) -> (Vec<ObjectContent>, Option<String>) {
    let Some(mut rv) = std::mem::take(&mut resp.children)
        .into_iter()
        .find(|c| &*c.name == "returnval")
    else {
        return (Vec::new(), None);
    };
    let mut token = None;
    let mut out = Vec::new();
    for part in std::mem::take(&mut rv.children) {
        match &*part.name {
            "token" => token = Some(part.text.trim().to_string()).filter(|t| !t.is_empty()),
            "objects" => out.push(object_content(part)),
            _ => {}
        }
    }
    (out, token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::soap::parse;

    #[test]
    fn reads_objects_tokens_and_missing_sets() {
        let resp = parse(
            r#"<RetrievePropertiesExResponse><returnval><token>7</token>
            <objects><obj type="HostSystem">host-1</obj><propSet><name>name</name><val>a</val></propSet>
              <missingSet><path>config.firewall</path><fault><fault xsi:type="NoPermission"><object type="HostSystem">host-1</object><privilegeId>Host.Config.NetService</privilegeId></fault><localizedMessage>denied</localizedMessage></fault></missingSet></objects>
            <objects><obj type="HostSystem">host-2</obj></objects></returnval></RetrievePropertiesExResponse>"#,
        )
        .unwrap();
        let (objs, token) = objects_of(resp);
        assert_eq!(token.as_deref(), Some("7"));
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].obj, Some(MoRef::new("HostSystem", "host-1")));
        assert_eq!(objs[0].text("name").as_deref(), Some("a"));
        let (path, fault) = &objs[0].missing[0];
        assert_eq!(path, "config.firewall");
        assert!(fault.is("NoPermission"), "{fault:?}");
        assert_eq!(fault.privilege.as_deref(), Some("Host.Config.NetService"));
        assert_eq!(fault.message, "denied");
        assert!(objs[1].props.is_empty() && objs[1].missing.is_empty());
        assert!(objects_of(parse("<X/>").unwrap()).0.is_empty());
    }
}
