//! Streaming read of property-collector pages (RetrievePropertiesEx and its continuations).
//!
//! A page of host properties is megabytes of XML. Instead of reading a whole answer and then
//! parsing it, [`read_page`] parses it while it arrives: one tokio task moves the body's chunks
//! into a channel, a blocking thread parses them with quick-xml ([`parse_page`]) into one
//! [`ObjectContent`] per `objects` element and converts each with the caller's [`Convert`] (the
//! host pass maps it into the model there: the element tree is built, read and freed on one
//! thread, and only the small result crosses to the caller's task, which takes each as soon as
//! it is complete). The continuation `token` comes before the objects in a RetrieveResult, so the
//! next page is requested as soon as the token is read: the server prepares page N+1 while page
//! N is still being parsed and mapped. The body is taken off the wire ahead of the parser (at
//! most the page: the answer cap bounds it), so that the end of the last page is known as soon
//! as it has arrived: the caller's `last_body` is told then (when the parser has passed where
//! a token would be, without one), while the page's objects may still be parsed and converted,
//! so that the caller can release what it holds on the server (its collector, its session)
//! without waiting for that work. Elements vmkaudit never reads
//! ([`soap::SKIPPED_ELEMENTS`]) are skipped, not built. A page larger than the client's
//! answer cap fails as soon as the cap is passed ([`CallError::TooLarge`]), and one nested
//! deeper than [`soap::MAX_DEPTH`] as soon as that depth is reached.

use std::future::Future;
use std::io::{BufRead, Read};
use std::pin::Pin;

use bytes::Bytes;
use futures_util::future::OptionFuture;
use quick_xml::events::Event;
use quick_xml::Reader;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;

use super::error::CallError;
use super::object::{object_content, ObjectContent};
use super::soap::{self, Builder, Fault, SkipTo};

/// What the parser reports while reading a page.
#[derive(Debug)]
pub enum PageEvent<T> {
    /// The continuation token: more pages follow.
    Token(String),
    /// Complete objects, converted, in order (a few at a time: every hand-off wakes the
    /// caller's task).
    Objects(Vec<T>),
    /// The parser has passed where the token would be, and there was none: this is the last
    /// page (sent before its first object is converted).
    Last,
}

/// What becomes of each object of a page, on the parser's thread.
pub type Convert<T> = std::sync::Arc<dyn Fn(ObjectContent) -> T + Send + Sync>;

/// The objects as they are.
pub fn as_is() -> Convert<ObjectContent> {
    std::sync::Arc::new(|oc| oc)
}

/// Objects handed to the mapping at a time.
const OBJECT_BATCH: usize = 16;

/// Body bytes handed to the parser thread at a time (after the first chunk, which goes at once
/// so that the token is read early): fewer, larger hand-offs cost fewer thread wake-ups.
const CHUNK_BATCH: usize = 256 << 10;

/// A blocking reader over the chunks of a response body, as the async side receives them (in
/// batches, without copying them).
struct Chunks {
    rx: UnboundedReceiver<Vec<Bytes>>,
    queue: std::vec::IntoIter<Bytes>,
    cur: Bytes,
    pos: usize,
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunks {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.pos >= self.cur.len() {
            if let Some(b) = self.queue.next() {
                self.cur = b;
                self.pos = 0;
                continue;
            }
            match self.rx.blocking_recv() {
                Some(batch) => self.queue = batch.into_iter(),
                // The body ended (or failed: the async side reports why).
                None => return Ok(&[]),
            }
        }
        Ok(&self.cur[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

impl SkipTo for Chunks {
    fn skip_to(&mut self, pattern: &[u8]) -> std::io::Result<Option<u64>> {
        let mut skipped = 0u64;
        loop {
            if self.fill_buf()?.is_empty() {
                return Ok(None);
            }
            let avail = &self.cur[self.pos..];
            if let Some(i) = memchr::memmem::find(avail, pattern) {
                self.pos += i;
                return Ok(Some(skipped + i as u64));
            }
            // The longest end of this chunk that could begin the pattern: kept, and joined with
            // the next chunk, in case the pattern runs across the boundary (a copy of one
            // chunk, rarely).
            let keep = (1..pattern.len().min(avail.len() + 1))
                .rev()
                .find(|&n| avail.ends_with(&pattern[..n]))
                .unwrap_or(0);
            let passed = avail.len() - keep;
            skipped += passed as u64;
            self.pos += passed;
            if keep == 0 {
                continue;
            }
            let tail = self.cur.slice(self.pos..);
            self.pos = self.cur.len();
            if self.fill_buf()?.is_empty() {
                return Ok(None);
            }
            let mut joined = bytes::BytesMut::with_capacity(keep + self.cur.len() - self.pos);
            joined.extend_from_slice(&tail);
            joined.extend_from_slice(&self.cur[self.pos..]);
            self.cur = joined.freeze();
            self.pos = 0;
        }
    }
}

fn protocol(m: impl Into<String>) -> CallError {
    CallError::Protocol(m.into())
}

/// Parse one RetrieveResult answer from `input`, reporting the token and each object, converted
/// by `convert`, on `out` as soon as it is read. A SOAP fault in the body is returned as
/// [`CallError::Fault`].
pub fn parse_page<R: SkipTo, T>(
    input: R,
    convert: &(dyn Fn(ObjectContent) -> T + Send + Sync),
    out: &UnboundedSender<PageEvent<T>>,
) -> Result<(), CallError> {
    let mut reader = Reader::from_reader(input);
    let mut builder = Builder::skipping(soap::SKIPPED_ELEMENTS);
    let mut buf = Vec::new();
    let mut sub = Vec::new();
    // Local names of the open elements above the current position (Envelope, Body, the
    // response element, returnval).
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut answered = false;
    // Whether the token was read, or its absence reported.
    let mut token_known = false;
    let mut batch: Vec<T> = Vec::new();
    loop {
        buf.clear();
        let ev = reader.read_event_into(&mut buf).map_err(|e| {
            protocol(format!(
                "malformed XML at byte {}: {e}",
                builder.position(&reader)
            ))
        })?;
        let (e, empty) = match ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                open.pop();
                if open.len() == 3 && !std::mem::replace(&mut token_known, true) {
                    // returnval closed without a token (and without objects).
                    let _ = out.send(PageEvent::Last);
                }
                if open.len() == 3 && !batch.is_empty() {
                    // returnval closed: hand over the rest.
                    let _ = out.send(PageEvent::Objects(std::mem::take(&mut batch)));
                }
                if open.is_empty() {
                    break;
                }
                continue;
            }
            Event::Eof => return Err(protocol("the answer ended in the middle of the XML")),
            _ => continue,
        };
        let qname = e.name();
        let name = qname.local_name();
        let name = name.as_ref();
        let parent = open.last().map(Vec::as_slice);
        match (open.len(), parent, name) {
            (0, _, b"Envelope") | (1, _, b"Body") | (3, _, b"returnval") => {}
            (0, _, other) => {
                return Err(protocol(format!(
                    "not a SOAP envelope (root element `{}`)",
                    String::from_utf8_lossy(other)
                )))
            }
            (2, Some(b"Body"), b"Fault") => {
                let fault = builder.subtree(&mut reader, &mut sub, &e, empty, 3)?;
                let message = fault.text_at("faultstring").unwrap_or_default();
                let fault = Fault::read(
                    fault.child("detail").and_then(|d| d.children.first()),
                    message,
                );
                return Err(CallError::Fault(Box::new(fault)));
            }
            (2, Some(b"Body"), _) => answered = true,
            (4, Some(b"returnval"), b"token") => {
                let node = builder.subtree(&mut reader, &mut sub, &e, empty, 5)?;
                let token = node.text.trim();
                if !token.is_empty() {
                    // The schema puts the token first; one after the objects would come after
                    // this page was taken for the last (and its collector released).
                    if token_known {
                        return Err(protocol(
                            "a continuation token out of place (after the objects)",
                        ));
                    }
                    token_known = true;
                    let _ = out.send(PageEvent::Token(token.to_string()));
                }
                continue;
            }
            (4, Some(b"returnval"), b"objects") => {
                // The token comes before the objects: there is none.
                if !std::mem::replace(&mut token_known, true) {
                    let _ = out.send(PageEvent::Last);
                }
                let node = builder.subtree(&mut reader, &mut sub, &e, empty, 5)?;
                batch.push(convert(object_content(node)));
                if batch.len() >= OBJECT_BATCH
                    && out
                        .send(PageEvent::Objects(std::mem::take(&mut batch)))
                        .is_err()
                {
                    // The receiver gave up; no need to read further.
                    return Ok(());
                }
                continue;
            }
            _ => {
                // Anything else (a SOAP header, unknown result fields) is skipped whole.
                if !empty {
                    let end = e.to_end().into_owned();
                    sub.clear();
                    reader
                        .read_to_end_into(end.name(), &mut sub)
                        .map_err(|e| protocol(format!("malformed XML: {e}")))?;
                }
                continue;
            }
        }
        if !empty {
            open.push(name.to_vec());
        }
    }
    if !answered {
        return Err(protocol("SOAP Body is empty"));
    }
    Ok(())
}

/// How a page ended.
pub enum PageEnd {
    /// It was the last page.
    Last,
    /// More pages follow: the token and the (already requested) next page.
    Next(String, Result<reqwest::Response, CallError>),
}

/// A page that failed, with the token it carried (if it was read) for the caller to cancel.
pub struct PageError {
    pub error: CallError,
    pub token: Option<String>,
}

type Pending<'a> = Pin<Box<dyn Future<Output = Result<reqwest::Response, CallError>> + Send + 'a>>;

/// Why the body of a page stopped before its end.
enum BodyError {
    /// Reading failed (the connection broke, the request timed out).
    Read(reqwest::Error),
    /// More than the cap (in bytes) arrived.
    TooLarge(u64),
}

/// Stream one page: parse `resp` as it arrives, hand every object, converted by `convert` on
/// the parser's thread, to `each`, and as soon as the token is read, start the next request
/// with `next(token)`. A body above `max_bytes` fails the page. The body is read ahead of the
/// parser (up to `max_bytes`): when the whole body of a page without a token has arrived,
/// `last_body` is told (and emptied), while its objects may still be parsed and converted.
pub async fn read_page<'a, N, F, T: Send + 'static>(
    resp: reqwest::Response,
    max_bytes: u64,
    body_error: impl Fn(&reqwest::Error) -> CallError,
    next: N,
    convert: &Convert<T>,
    each: &mut impl FnMut(T),
    last_body: &mut Option<oneshot::Sender<()>>,
) -> Result<PageEnd, PageError>
where
    N: Fn(String) -> F,
    F: Future<Output = Result<reqwest::Response, CallError>> + Send + 'a,
{
    if resp.content_length().is_some_and(|n| n > max_bytes) {
        return Err(PageError {
            error: CallError::TooLarge(max_bytes),
            token: None,
        });
    }
    // Unbounded, but the pump stops at `max_bytes`: a page in flight holds at most its body
    // (about 2 MB per 100 hosts) while the parser is behind.
    let (chunk_tx, chunk_rx) = unbounded_channel::<Vec<Bytes>>();
    let (event_tx, mut events) = unbounded_channel();
    let convert = convert.clone();
    let parser = tokio::task::spawn_blocking(move || {
        let input = Chunks {
            rx: chunk_rx,
            queue: Vec::new().into_iter(),
            cur: Bytes::new(),
            pos: 0,
        };
        parse_page(input, &*convert, &event_tx)
    });
    // Move the body's chunks to the parser while this task maps objects, without waiting for
    // the parser. They are handed over as they are (no copy into one big buffer: fresh 256 KB
    // buffers cost page faults).
    let mut resp = resp;
    let mut pump = tokio::spawn(async move {
        let mut first = true;
        let mut pending: Vec<Bytes> = Vec::new();
        let mut pending_len = 0;
        let mut total: u64 = 0;
        let result = loop {
            match resp.chunk().await {
                Ok(Some(c)) if total + c.len() as u64 > max_bytes => {
                    // Dropping the sender ends the parser's input.
                    break Err(BodyError::TooLarge(max_bytes));
                }
                Ok(Some(c)) if first => {
                    total += c.len() as u64;
                    first = false;
                    if chunk_tx.send(vec![c]).is_err() {
                        return Ok(());
                    }
                }
                Ok(Some(c)) => {
                    total += c.len() as u64;
                    pending_len += c.len();
                    pending.push(c);
                    if pending_len >= CHUNK_BATCH {
                        pending_len = 0;
                        if chunk_tx.send(std::mem::take(&mut pending)).is_err() {
                            return Ok(());
                        }
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(BodyError::Read(e)),
            }
        };
        if !pending.is_empty() && result.is_ok() {
            let _ = chunk_tx.send(pending);
        }
        result
    });

    let mut token: Option<String> = None;
    let mut pending: Option<Pending<'a>> = None;
    let mut next_page: Option<Result<reqwest::Response, CallError>> = None;
    // The pump's outcome, once it has ended; and whether the parser found no token.
    let mut body = None;
    let mut last = false;
    loop {
        if last && matches!(body, Some(Ok(Ok(())))) {
            if let Some(tx) = last_body.take() {
                let _ = tx.send(());
            }
        }
        let waiting = next_page.is_none() && pending.is_some();
        let ev = tokio::select! {
            ev = events.recv() => ev,
            r = OptionFuture::from(pending.as_mut()), if waiting => {
                next_page = r;
                continue;
            }
            b = &mut pump, if body.is_none() => {
                body = Some(b);
                continue;
            }
        };
        match ev {
            Some(PageEvent::Token(t)) => {
                if token.is_none() {
                    pending = Some(Box::pin(next(t.clone())));
                    token = Some(t);
                }
            }
            Some(PageEvent::Objects(objects)) => objects.into_iter().for_each(&mut *each),
            Some(PageEvent::Last) => last = true,
            None => break,
        }
    }
    let fail = |error, token: Option<String>| PageError { error, token };
    let body = match body {
        Some(b) => b,
        None => pump.await,
    };
    let body = match body {
        Ok(r) => r,
        Err(e) => return Err(fail(protocol(format!("reading the answer: {e}")), token)),
    };
    let parsed = match parser.await {
        Ok(r) => r,
        Err(e) => return Err(fail(protocol(format!("parsing the answer: {e}")), token)),
    };
    match (body, parsed) {
        // A body that broke off is the cause of whatever the parser then said.
        (Err(BodyError::Read(e)), _) => return Err(fail(body_error(&e), token)),
        (Err(BodyError::TooLarge(limit)), _) => {
            return Err(fail(CallError::TooLarge(limit), token))
        }
        (Ok(()), Err(e)) => return Err(fail(e, token)),
        (Ok(()), Ok(())) => {}
    }
    match (token, pending, next_page) {
        (None, _, _) => Ok(PageEnd::Last),
        (Some(t), _, Some(r)) => Ok(PageEnd::Next(t, r)),
        (Some(t), Some(fut), None) => Ok(PageEnd::Next(t, fut.await)),
        (Some(t), None, None) => Err(fail(protocol("internal: token without request"), Some(t))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(xml: &str) -> (Result<(), CallError>, Vec<PageEvent<ObjectContent>>) {
        let (tx, mut rx) = unbounded_channel();
        let r = parse_page(xml.as_bytes(), &*as_is(), &tx);
        drop(tx);
        let mut out = Vec::new();
        while let Ok(e) = rx.try_recv() {
            out.push(e);
        }
        (r, out)
    }

    const PAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Header><x>1</x></soapenv:Header>
<soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>42</token>
<objects><obj type="HostSystem">host-1</obj><propSet><name>name</name><val xsi:type="xsd:string">esx-a</val></propSet>
<propSet><name>config.virtualNicManagerInfo</name><val xsi:type="HostVirtualNicManagerInfo"><netConfig><nicType>vmotion</nicType>
<candidateVnic><device>vmk0</device><spec><mtu>1500</mtu></spec></candidateVnic><selectedVnic>vmotion.key-1</selectedVnic></netConfig></val></propSet></objects>
<objects><obj type="HostSystem">host-2</obj><propSet><name>name</name><val xsi:type="xsd:string">esx &amp; b</val></propSet></objects>
</returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>"#;

    #[test]
    fn reports_the_token_first_then_each_object_and_skips_unused_elements() {
        let (r, evs) = events(PAGE);
        r.unwrap();
        assert_eq!(evs.len(), 2);
        assert!(matches!(&evs[0], PageEvent::Token(t) if t == "42"));
        let PageEvent::Objects(objs) = &evs[1] else {
            panic!("{evs:?}")
        };
        assert_eq!(objs.len(), 2);
        let (a, b) = (&objs[0], &objs[1]);
        assert_eq!(a.obj.as_ref().unwrap().value, "host-1");
        let vnm = &a.props["config.virtualNicManagerInfo"];
        let nc = vnm.child("netConfig").unwrap();
        assert!(nc.child("candidateVnic").is_none(), "{nc:?}");
        assert_eq!(nc.text_at("selectedVnic").as_deref(), Some("vmotion.key-1"));
        assert_eq!(b.props["name"].text, "esx & b");
    }

    /// A body arriving in the chunks `parts`.
    fn chunked(parts: &[&[u8]]) -> Chunks {
        let (tx, rx) = unbounded_channel();
        for p in parts {
            tx.send(vec![Bytes::copy_from_slice(p)]).unwrap();
        }
        Chunks {
            rx,
            queue: Vec::new().into_iter(),
            cur: Bytes::new(),
            pos: 0,
        }
    }

    #[test]
    fn a_skipped_element_cut_anywhere_by_chunk_boundaries_is_passed_over_whole() {
        // The same objects, however the body is cut: in two at every byte, and into chunks of
        // 1 to 24 bytes (the end tag `</candidateVnic>` of the skipped element runs across
        // boundaries in many of them).
        let parse = |input: Chunks| {
            let (tx, mut rx) = unbounded_channel();
            parse_page(input, &*as_is(), &tx).unwrap();
            drop(tx);
            let mut out = Vec::new();
            while let Ok(e) = rx.try_recv() {
                out.push(format!("{e:?}"));
            }
            out
        };
        let page = PAGE.as_bytes();
        let whole = parse(chunked(&[page]));
        assert_eq!(
            whole,
            events(PAGE)
                .1
                .iter()
                .map(|e| format!("{e:?}"))
                .collect::<Vec<_>>()
        );
        assert!(!whole.concat().contains("candidateVnic"), "{whole:?}");
        for cut in 1..page.len() {
            assert_eq!(
                parse(chunked(&[&page[..cut], &page[cut..]])),
                whole,
                "cut at {cut}"
            );
        }
        for size in 1..=24 {
            let parts: Vec<&[u8]> = page.chunks(size).collect();
            assert_eq!(parse(chunked(&parts)), whole, "chunks of {size}");
        }
        // A skipped element that never ends is a truncated answer, not a hang.
        let cut = PAGE.find("</candidateVnic>").unwrap();
        let (tx, _rx) = unbounded_channel();
        let r = parse_page(chunked(&[&page[..cut]]), &*as_is(), &tx);
        assert!(
            matches!(&r, Err(CallError::Protocol(m)) if m.contains("truncated")),
            "{r:?}"
        );
    }

    #[test]
    fn a_token_after_the_objects_is_refused_not_taken_for_a_last_page() {
        // The page was reported as the last at its first object (so that its collector can be
        // released as soon as its body has arrived): a token behind the objects is an error.
        let (r, evs) = events(
            r#"<Envelope><Body><RetrievePropertiesExResponse><returnval><objects><obj type="HostSystem">h</obj></objects><token>7</token></returnval></RetrievePropertiesExResponse></Body></Envelope>"#,
        );
        assert!(
            matches!(&r, Err(CallError::Protocol(m)) if m.contains("token out of place")),
            "{r:?} {evs:?}"
        );
    }

    #[test]
    fn last_page_faults_and_garbage() {
        let (r, evs) = events(
            r#"<Envelope><Body><ContinueRetrievePropertiesExResponse><returnval><objects><obj type="HostSystem">h</obj></objects></returnval></ContinueRetrievePropertiesExResponse></Body></Envelope>"#,
        );
        r.unwrap();
        // No token: the page says it is the last before its objects.
        assert!(matches!(&evs[..], [PageEvent::Last, PageEvent::Objects(o)] if o.len() == 1));
        let (r, evs) =
            events(r#"<Envelope><Body><RetrievePropertiesExResponse/></Body></Envelope>"#);
        r.unwrap();
        assert!(evs.is_empty());

        let (r, _) = events(
            r#"<soapenv:Envelope xmlns:soapenv="x"><soapenv:Body><soapenv:Fault><faultstring>denied</faultstring><detail><NoPermissionFault xsi:type="NoPermission"><privilegeId>System.View</privilegeId></NoPermissionFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#,
        );
        let Err(CallError::Fault(f)) = r else {
            panic!("{r:?}")
        };
        assert!(f.is("NoPermission"));
        assert_eq!(f.privilege.as_deref(), Some("System.View"));

        assert!(matches!(
            events("<html><body>502</body></html>").0,
            Err(CallError::Protocol(m)) if m.contains("html")
        ));
        assert!(events("<Envelope><Body></Body></Envelope>").0.is_err());
        let cut = &PAGE[..PAGE.len() / 2];
        let (r, evs) = events(cut);
        assert!(matches!(r, Err(CallError::Protocol(_))), "{r:?}");
        // What was complete before the cut was still reported.
        assert!(!evs.is_empty());
    }
}
