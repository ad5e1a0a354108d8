//! SOAP plumbing for the vSphere API: request envelopes, response parsing and faults.
//!
//! Requests are small and built as text with every value XML-escaped ([`esc`]). A response is
//! read with quick-xml's pull parser into a light element tree ([`Node`]): local names (the
//! `urn:vim25` namespace is the only one that matters), the `xsi:type` of polymorphic values,
//! the `type` attribute of managed object references, and the text. vSphere's two encodings of
//! lists are both handled by [`Node::items`]: a property value typed `ArrayOfXxx` wraps its
//! elements, while a list inside a data object is a repeated element. A response whose body is a
//! `Fault` becomes a [`Fault`] with the vim25 fault type and the fields messages need
//! (privilege, object, property).
//!
//! Whatever the server sends, nothing here recurses on the nesting depth of the input: the
//! builder keeps its open elements on a heap stack and refuses a response nested deeper than
//! [`MAX_DEPTH`] levels ([`XmlError::TooDeep`]), and a [`Node`] tree is dropped iteratively.

use std::fmt;
use std::io::BufRead;
use std::sync::Arc;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;
use rustc_hash::FxHashMap;

/// The vim25 namespace of every request body.
pub const VIM25_NS: &str = "urn:vim25";

/// The deepest element nesting a response may have, counted from the SOAP `Envelope` (1).
/// vSphere answers are a few dozen levels deep (a host's `config.network` is the deepest, at
/// about 20); anything past this is not a vSphere answer and is refused.
pub const MAX_DEPTH: usize = 256;

/// Why a response could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Elements nested deeper than the limit (the number).
    #[error("response nested deeper than {0} levels")]
    TooDeep(usize),
    /// Not well-formed XML, or not the SOAP structure expected.
    #[error("{0}")]
    Malformed(String),
}

/// A [`XmlError::Malformed`] with message `m`.
fn malformed(m: impl Into<String>) -> XmlError {
    XmlError::Malformed(m.into())
}

/// Escape text for an XML element or attribute value.
pub fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// A SOAP envelope around `body` (one method element, already serialised).
pub fn envelope(body: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" "#,
            r#"xmlns:xsd="http://www.w3.org/2001/XMLSchema" "#,
            r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            "<soapenv:Body>{}</soapenv:Body></soapenv:Envelope>"
        ),
        body
    )
}

/// `<method xmlns="urn:vim25"><_this type="T">id</_this>{args}</method>`.
pub fn method(name: &str, this: &MoRef, args: &str) -> String {
    format!(
        r#"<{name} xmlns="{VIM25_NS}">{}{args}</{name}>"#,
        this.to_xml("_this")
    )
}

/// A managed object reference (`type` + value).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MoRef {
    pub kind: String,
    pub value: String,
}

impl MoRef {
    pub fn new(kind: &str, value: &str) -> Self {
        MoRef {
            kind: kind.to_string(),
            value: value.to_string(),
        }
    }

    /// Serialise as element `tag`.
    pub fn to_xml(&self, tag: &str) -> String {
        format!(
            r#"<{tag} type="{}">{}</{tag}>"#,
            esc(&self.kind),
            esc(&self.value)
        )
    }
}

impl fmt::Display for MoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// An element or type name. Names repeat on every object of a page, so a [`Builder`] shares
/// one allocation per distinct name.
pub type Name = Arc<str>;

/// One XML element of a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Local name (namespace prefix dropped).
    pub name: Name,
    /// `xsi:type` without its prefix, when present.
    pub xsi_type: Option<Name>,
    /// The `type` attribute (managed object references).
    pub mo_type: Option<Name>,
    pub text: String,
    pub children: Vec<Node>,
}

/// Dropped with a loop over a heap stack, not recursively: a tree is never deeper than
/// [`MAX_DEPTH`] when the builder made it, but a recursive drop must not be what keeps it so.
impl Drop for Node {
    fn drop(&mut self) {
        if self.children.is_empty() {
            return;
        }
        let mut pending = std::mem::take(&mut self.children);
        while let Some(mut node) = pending.pop() {
            pending.append(&mut node.children);
        }
    }
}

impl Default for Node {
    fn default() -> Self {
        Node {
            name: Name::from(""),
            xsi_type: None,
            mo_type: None,
            text: String::new(),
            children: Vec::new(),
        }
    }
}

impl Node {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| &*c.name == name)
    }

    /// Every child called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| &*c.name == name)
    }

    /// Follow a path of child names (`"spec.ip.ipAddress"`).
    pub fn path(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |n, part| n.child(part))
    }

    /// Trimmed text at `path`, `None` when absent or empty.
    pub fn text_at(&self, path: &str) -> Option<String> {
        let t = self.path(path)?.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    /// Boolean at `path` (`true`/`false`/`1`/`0`).
    pub fn bool_at(&self, path: &str) -> Option<bool> {
        match self.path(path)?.text.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }
    }

    /// Integer at `path`.
    pub fn int_at(&self, path: &str) -> Option<i64> {
        self.path(path)?.text.trim().parse().ok()
    }

    /// This element as a managed object reference (its `type` attribute and text).
    pub fn as_moref(&self) -> Option<MoRef> {
        let kind = self.mo_type.as_deref()?;
        let value = self.text.trim();
        (!value.is_empty()).then(|| MoRef::new(kind, value))
    }

    /// The elements of a list value: the children of an `ArrayOf...` wrapper, or the element
    /// itself for a single (repeated-element) entry.
    pub fn items(&self) -> Vec<&Node> {
        match &self.xsi_type {
            Some(t) if t.starts_with("ArrayOf") => self.children.iter().collect(),
            _ => vec![self],
        }
    }

    /// The entries of list `name` inside this data object, whichever encoding is used.
    pub fn list<'a>(&'a self, name: &'a str) -> Vec<&'a Node> {
        self.all(name).flat_map(|n| n.items()).collect()
    }

    /// The text of every entry of list `name`.
    pub fn texts(&self, name: &str) -> Vec<String> {
        self.list(name)
            .into_iter()
            .map(|n| n.text.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

/// Elements of host properties that vmkaudit never reads and that are large on real hosts;
/// they are skipped while parsing instead of being built: every virtual NIC again under each
/// NIC type of the virtual NIC manager (`candidateVnic`). (The host's route table and the
/// firewall rulesets' port rules are read: static routes and firewall rule details.)
pub const SKIPPED_ELEMENTS: &[&str] = &["candidateVnic"];

/// An input that can pass over bytes without parsing them: the content of a skipped element.
pub trait SkipTo: BufRead {
    /// Consume everything before the first occurrence of `pattern`, which is left unread, and
    /// say how many bytes that was; `None` when the input ends first (it is then all consumed).
    fn skip_to(&mut self, pattern: &[u8]) -> std::io::Result<Option<u64>>;
}

impl SkipTo for &[u8] {
    fn skip_to(&mut self, pattern: &[u8]) -> std::io::Result<Option<u64>> {
        let found = memchr::memmem::find(self, pattern);
        let n = found.unwrap_or(self.len());
        *self = &self[n..];
        Ok(found.map(|n| n as u64))
    }
}

/// Builds [`Node`] trees from quick-xml events, sharing the allocation of repeated names.
#[derive(Debug, Default)]
pub struct Builder {
    names: FxHashMap<Vec<u8>, Name>,
    /// Scratch buffer for the end tag of a skipped element.
    skip_buf: Vec<u8>,
    /// Local names of elements to skip (with their content).
    skip: Vec<&'static [u8]>,
    /// Bytes passed over unparsed (the parser's positions do not count them).
    skipped: u64,
}

impl Builder {
    /// A builder that skips the elements named in `skip`, wherever they are.
    pub fn skipping(skip: &[&'static str]) -> Builder {
        Builder {
            names: FxHashMap::default(),
            skip_buf: Vec::new(),
            skip: skip.iter().map(|s| s.as_bytes()).collect(),
            skipped: 0,
        }
    }

    /// The byte position of `reader` in its document, for messages.
    pub fn position<R>(&self, reader: &Reader<R>) -> u64 {
        reader.error_position() + self.skipped
    }

    /// Pass over the content of the element that `start` opened, up to and including its end
    /// tag, without parsing it: a skipped element is large and never holds one of its own name
    /// (in vSphere answers), so its content ends at the first `</name>`. The end tag itself is
    /// read by the parser, which checks that it closes `start`.
    fn skip<R: SkipTo>(
        &mut self,
        reader: &mut Reader<R>,
        start: &BytesStart<'_>,
    ) -> Result<(), XmlError> {
        let end = &mut self.skip_buf;
        end.clear();
        end.extend_from_slice(b"</");
        end.extend_from_slice(start.name().as_ref());
        end.push(b'>');
        let skipped = reader
            .get_mut()
            .skip_to(end)
            .map_err(|e| malformed(format!("reading the answer: {e}")))?;
        let Some(n) = skipped else {
            return Err(malformed("truncated XML document"));
        };
        self.skipped += n;
        let mut buf = Vec::new();
        match reader.read_event_into(&mut buf) {
            Ok(Event::End(_)) => Ok(()),
            Ok(_) => Err(malformed("unbalanced XML")),
            Err(e) => Err(malformed(format!(
                "malformed XML at byte {}: {e}",
                self.position(reader)
            ))),
        }
    }

    /// The shared name for the local part of the qualified name `qname`.
    fn name(&mut self, qname: &[u8]) -> Result<Name, XmlError> {
        self.intern(local_part(qname))
    }

    /// The shared name for `local`.
    fn intern(&mut self, local: &[u8]) -> Result<Name, XmlError> {
        if let Some(n) = self.names.get(local) {
            return Ok(n.clone());
        }
        let s =
            std::str::from_utf8(local).map_err(|e| malformed(format!("bad element name: {e}")))?;
        let n = Name::from(s);
        self.names.insert(local.to_vec(), n.clone());
        Ok(n)
    }

    /// A childless node for the start tag `e`.
    pub fn start(&mut self, e: &BytesStart<'_>) -> Result<Node, XmlError> {
        let mut node = Node {
            name: self.name(e.name().as_ref())?,
            xsi_type: None,
            mo_type: None,
            text: String::new(),
            children: Vec::new(),
        };
        for attr in e.attributes() {
            let attr = attr.map_err(|err| malformed(format!("bad attribute: {err}")))?;
            let key = attr.key.as_ref();
            let is_type = |k: &[u8]| k == b"type";
            if is_type(key) || key.ends_with(b":type") {
                let val = attr
                    .unescape_value()
                    .map_err(|err| malformed(format!("bad attribute value: {err}")))?;
                if is_type(key) {
                    node.mo_type = Some(self.intern(val.as_bytes())?);
                } else {
                    node.xsi_type = Some(self.name(val.as_bytes())?);
                }
            }
        }
        Ok(node)
    }

    fn skips(&self, e: &BytesStart<'_>) -> bool {
        if self.skip.is_empty() {
            return false;
        }
        let q = e.name();
        self.skip.contains(&local_part(q.as_ref()))
    }

    /// Read the content of the element that `start` opened (an `Empty` element when `empty`)
    /// up to its end tag, and return it as a tree. `depth` is the nesting level of `start` in
    /// the document (the root element is 1); an element below [`MAX_DEPTH`] is an error.
    pub fn subtree<R: SkipTo>(
        &mut self,
        reader: &mut Reader<R>,
        buf: &mut Vec<u8>,
        start: &BytesStart<'_>,
        empty: bool,
        depth: usize,
    ) -> Result<Node, XmlError> {
        if depth > MAX_DEPTH {
            return Err(XmlError::TooDeep(MAX_DEPTH));
        }
        let root = self.start(start)?;
        if empty {
            return Ok(root);
        }
        let mut stack: Vec<Node> = vec![root];
        // The level a child of the top of `stack` would have.
        let child_depth = |stack: &Vec<Node>| depth + stack.len();
        loop {
            buf.clear();
            let ev = reader.read_event_into(buf).map_err(|e| {
                malformed(format!(
                    "malformed XML at byte {}: {e}",
                    self.position(reader)
                ))
            })?;
            match ev {
                Event::Start(ref e) => {
                    if self.skips(e) {
                        self.skip(reader, e)?;
                    } else {
                        if child_depth(&stack) > MAX_DEPTH {
                            return Err(XmlError::TooDeep(MAX_DEPTH));
                        }
                        let node = self.start(e)?;
                        stack.push(node);
                    }
                }
                Event::Empty(ref e) if !self.skips(e) => {
                    if child_depth(&stack) > MAX_DEPTH {
                        return Err(XmlError::TooDeep(MAX_DEPTH));
                    }
                    let node = self.start(e)?;
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(node);
                    }
                }
                Event::End(_) => {
                    let node = stack.pop().ok_or_else(|| malformed("unbalanced XML"))?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => return Ok(node),
                    }
                }
                Event::Text(t) => {
                    let s = t
                        .xml_content()
                        .map_err(|e| malformed(format!("bad text: {e}")))?;
                    if let Some(n) = stack.last_mut() {
                        n.text.push_str(&s);
                    }
                }
                Event::CData(t) => {
                    let s = t
                        .decode()
                        .map_err(|e| malformed(format!("bad CDATA: {e}")))?;
                    if let Some(n) = stack.last_mut() {
                        n.text.push_str(&s);
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(n) = stack.last_mut() {
                        push_reference(&mut n.text, &r)?;
                    }
                }
                Event::Eof => return Err(malformed("truncated XML document")),
                _ => {}
            }
        }
    }
}

/// `name` of `prefix:name`.
fn local_part(qname: &[u8]) -> &[u8] {
    match qname.iter().rposition(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

/// Append the character an entity or character reference stands for.
fn push_reference(text: &mut String, r: &BytesRef<'_>) -> Result<(), XmlError> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => text.push(c),
        Ok(None) => {
            let name = r
                .decode()
                .map_err(|e| malformed(format!("bad entity: {e}")))?;
            let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                .ok_or_else(|| malformed(format!("unknown XML entity `&{name};`")))?;
            text.push_str(resolved);
        }
        Err(e) => return Err(malformed(format!("bad character reference: {e}"))),
    }
    Ok(())
}

/// Parse an XML document into its root element.
pub fn parse(xml: &str) -> Result<Node, XmlError> {
    let mut reader = Reader::from_reader(xml.as_bytes());
    let mut builder = Builder::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let ev = reader.read_event_into(&mut buf).map_err(|e| {
            malformed(format!(
                "malformed XML at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        match ev {
            Event::Start(e) => {
                let e = e.into_owned();
                return builder.subtree(&mut reader, &mut buf, &e, false, 1);
            }
            Event::Empty(e) => {
                let e = e.into_owned();
                return builder.subtree(&mut reader, &mut buf, &e, true, 1);
            }
            Event::End(_) => return Err(malformed("unbalanced XML")),
            Event::Eof => return Err(malformed("empty XML document")),
            _ => {}
        }
    }
}

/// A SOAP fault from the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The vim25 fault type (`InvalidLogin`, `NoPermission`, ...), when the detail names one.
    pub kind: Option<String>,
    /// `faultstring`.
    pub message: String,
    /// `privilegeId` of NoPermission / NotAuthenticated.
    pub privilege: Option<String>,
    /// `object` of NoPermission / NotAuthenticated.
    pub object: Option<MoRef>,
    /// `name` of InvalidProperty, `invalidProperty` of InvalidArgument.
    pub property: Option<String>,
}

impl Fault {
    /// Read a fault object (a `detail` child or a `LocalizedMethodFault.fault`).
    pub fn from_detail(node: &Node, message: String) -> Fault {
        let kind = node.xsi_type.as_deref().map(str::to_string).or_else(|| {
            let n = node.name.strip_suffix("Fault").unwrap_or(&node.name);
            (!n.is_empty() && n != "fault").then(|| n.to_string())
        });
        Fault {
            kind,
            message,
            privilege: node.text_at("privilegeId"),
            object: node.child("object").and_then(Node::as_moref),
            property: node
                .text_at("name")
                .or_else(|| node.text_at("invalidProperty")),
        }
    }

    /// [`Fault::from_detail`], or a fault with only a message when there is no detail.
    pub fn read(detail: Option<&Node>, message: String) -> Fault {
        match detail {
            Some(d) => Fault::from_detail(d, message),
            None => Fault {
                kind: None,
                message,
                privilege: None,
                object: None,
                property: None,
            },
        }
    }

    pub fn is(&self, kind: &str) -> bool {
        self.kind.as_deref() == Some(kind)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, self.message.trim()) {
            (Some(k), "") => write!(f, "{k}"),
            (Some(k), m) => write!(f, "{k}: {m}"),
            (None, "") => write!(f, "SOAP fault"),
            (None, m) => write!(f, "{m}"),
        }
    }
}

/// [`response_body`] of an answer as it came over the wire (bytes that are not UTF-8 are
/// replaced, as reqwest's text decoding does).
pub fn parse_response(body: &[u8]) -> Result<Result<Node, Fault>, XmlError> {
    response_body(&String::from_utf8_lossy(body))
}

/// The body of a SOAP response: the method's response element, or a fault.
pub fn response_body(xml: &str) -> Result<Result<Node, Fault>, XmlError> {
    let mut env = parse(xml)?;
    if &*env.name != "Envelope" {
        return Err(malformed(format!(
            "not a SOAP envelope (root element `{}`)",
            env.name
        )));
    }
    let mut body = std::mem::take(&mut env.children)
        .into_iter()
        .find(|c| &*c.name == "Body")
        .ok_or_else(|| malformed("SOAP envelope without a Body"))?;
    let first = std::mem::take(&mut body.children)
        .into_iter()
        .next()
        .ok_or_else(|| malformed("SOAP Body is empty"))?;
    if &*first.name == "Fault" {
        let message = first.text_at("faultstring").unwrap_or_default();
        let fault = Fault::read(
            first.child("detail").and_then(|d| d.children.first()),
            message,
        );
        return Ok(Err(fault));
    }
    Ok(Ok(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_polymorphic_values_arrays_and_entities() {
        let xml = r#"<?xml version="1.0"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25"><returnval>
<objects><obj type="HostSystem">host-12</obj>
<propSet><name>name</name><val xsi:type="xsd:string">esx &amp; &#65;</val></propSet>
<propSet><name>config.network.vnic</name><val xsi:type="ArrayOfHostVirtualNic">
  <HostVirtualNic><device>vmk0</device></HostVirtualNic>
  <HostVirtualNic><device>vmk1</device></HostVirtualNic></val></propSet>
<propSet><name>config.network</name><val xsi:type="HostNetworkInfo">
  <vnic><device>vmk5</device></vnic><vnic><device>vmk6</device></vnic></val></propSet>
</objects></returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>"#;
        let body = response_body(xml).unwrap().unwrap();
        let obj = body.path("returnval.objects").unwrap();
        assert_eq!(
            obj.child("obj").unwrap().as_moref(),
            Some(MoRef::new("HostSystem", "host-12"))
        );
        let props: Vec<_> = obj.all("propSet").collect();
        assert_eq!(props[0].text_at("val").unwrap(), "esx & A");
        assert_eq!(
            props[0].child("val").unwrap().xsi_type.as_deref(),
            Some("string")
        );
        let arr = props[1].child("val").unwrap();
        let devs: Vec<_> = arr.items().iter().map(|n| n.text_at("device")).collect();
        assert_eq!(devs, vec![Some("vmk0".into()), Some("vmk1".into())]);
        let net = props[2].child("val").unwrap();
        let devs: Vec<_> = net
            .list("vnic")
            .iter()
            .map(|n| n.text_at("device"))
            .collect();
        assert_eq!(devs, vec![Some("vmk5".into()), Some("vmk6".into())]);
    }

    #[test]
    fn reads_faults_with_privilege() {
        let xml = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Permission to perform this operation was denied.</faultstring><detail><NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission"><object type="Folder">group-d1</object><privilegeId>System.View</privilegeId></NoPermissionFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        let fault = response_body(xml).unwrap().unwrap_err();
        assert!(fault.is("NoPermission"));
        assert_eq!(fault.privilege.as_deref(), Some("System.View"));
        assert_eq!(fault.object, Some(MoRef::new("Folder", "group-d1")));

        let xml = r#"<Envelope><Body><Fault><faultstring>Login failure</faultstring><detail><InvalidLoginFault/></detail></Fault></Body></Envelope>"#;
        let fault = response_body(xml).unwrap().unwrap_err();
        assert!(fault.is("InvalidLogin"), "{fault:?}");
    }

    /// A SOAP answer whose body holds `depth` levels in all (Envelope, Body and the response
    /// element included).
    fn nested(depth: usize) -> String {
        let inner = depth - 3;
        format!(
            "<Envelope><Body><R>{}{}</R></Body></Envelope>",
            "<a>".repeat(inner),
            "</a>".repeat(inner)
        )
    }

    #[test]
    fn nesting_is_bounded() {
        assert_eq!(
            response_body(&nested(50_000)).unwrap_err(),
            XmlError::TooDeep(MAX_DEPTH)
        );
        assert_eq!(
            response_body(&nested(50_000)).unwrap_err().to_string(),
            format!("response nested deeper than {MAX_DEPTH} levels")
        );
        assert!(response_body(&nested(MAX_DEPTH)).unwrap().is_ok());
        assert_eq!(
            response_body(&nested(MAX_DEPTH + 1)).unwrap_err(),
            XmlError::TooDeep(MAX_DEPTH)
        );
        // An empty element one level too deep is refused as well.
        let xml = nested(MAX_DEPTH).replacen("</a>", "<b/></a>", 1);
        assert_eq!(
            response_body(&xml).unwrap_err(),
            XmlError::TooDeep(MAX_DEPTH)
        );
    }

    #[test]
    fn a_deep_tree_is_dropped_without_recursion() {
        // Far deeper than the parser allows, dropped on a thread with a small stack.
        let dropped = std::thread::Builder::new()
            .stack_size(64 << 10)
            .spawn(|| {
                let mut node = Node::default();
                for _ in 0..1_000_000 {
                    let mut parent = Node::default();
                    parent.children.push(node);
                    node = parent;
                }
                drop(node);
            })
            .unwrap()
            .join();
        assert!(dropped.is_ok());
    }

    #[test]
    fn rejects_garbage_and_escapes_requests() {
        assert!(response_body("<html><body>502</body></html>").is_err());
        assert!(response_body("<Envelope><Body>").is_err());
        let m = method(
            "Login",
            &MoRef::new("SessionManager", "ha-sessionmgr"),
            &format!("<userName>{}</userName>", esc("a<b>&\"c")),
        );
        assert!(
            m.contains("<userName>a&lt;b&gt;&amp;&quot;c</userName>"),
            "{m}"
        );
        assert!(m.contains(r#"<_this type="SessionManager">ha-sessionmgr</_this>"#));
    }
}
