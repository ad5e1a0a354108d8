// Command vcsim-fixture serves a vSphere API (govmomi's simulator) loaded from a scenario file,
// for vmkaudit's live-collection tests.
//
// The scenario (JSON, see scenarios/*.json) describes datacenters, clusters, standalone hosts,
// distributed switches with their port groups, and per host the expected vmkaudit inventory
// fields (vmks, TCP/IP stacks, switches, firewall). The program builds that inventory in
// simulator.VPX() (no default objects) or simulator.ESX(): datacenters, clusters, hosts and
// distributed switches through the vSphere API, then each host's config (network, virtual NIC
// manager, firewall, product, connection state) edited in-process through simulator.Map.
//
// It serves HTTPS on 127.0.0.1 (free port) with an ECDSA P-256 CA and leaf certificate it
// generates, writes the CA to <dir>/ca.pem, prints one JSON line
// {"url": ..., "ca_file": ..., "user": ...} on stdout and serves until stdin is closed.
//
// The simulator of govmomi 0.24 ignores RetrievePropertiesEx's maxObjects; the property
// collector here wraps it to page results with a token the way vCenter does
// (ContinueRetrievePropertiesEx / CancelRetrievePropertiesEx). It can also put per-property
// NoPermission faults into missingSet, refuse CreateContainerView with NoPermission (or the
// reading of a view's members), answer the first request(s) with HTTP 503, and answer ContinueRetrievePropertiesEx with
// NotAuthenticated (an expired session), as scenario options.
//
// Collectors made with CreatePropertyCollector page the same way. With -latency D every request
// is answered only after D (a slow vCenter, for the benchmark); with -track FILE the fixture
// keeps the number of sessions, container views and property collectors clients left open in
// FILE (JSON), for the tests that check a client cleans up; with -log FILE it appends one JSON
// line per request (method, arrival and answer time, answer bytes) to FILE, for the benchmark's count of the
// requests a client sends one after the other.
//
// With -hostile MODE it misbehaves on one SOAP method (-on NAME) the way a hostile or broken
// server could, for the collector's hardening tests; every other call is served normally:
//
//	redirect  HTTP 307 with Location: -location URL (the client must not follow it)
//	deep      a 200 answer whose body nests -depth elements (default 50000) inside `objects`
//	huge      a 200 answer that streams -bytes bytes (default 64 MiB) of padding elements
//	stall     a 200 answer that sends its first bytes and then nothing until the client leaves
//	noobj     a 200 answer whose one object has no obj (managed object reference)
//	badend    the simulator's own answer to a request for HostSystem properties, with the end tag
//	          of its returnval misspelt: it fails to parse only after its last object (other
//	          requests of the method are served normally)
//
// Build (offline): GO111MODULE=off GOPATH=/usr/share/gocode go build -o vcsim-fixture .
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"hash/fnv"
	"io/ioutil"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// ---- scenario ----------------------------------------------------------------------------

type Scenario struct {
	// "vcenter" (default) or "esxi".
	Mode        string       `json:"mode"`
	User        string       `json:"user"`
	Password    string       `json:"password"`
	Datacenters []Datacenter `json:"datacenters"`
	// Generated hosts (for paging tests).
	Generate *Generate `json:"generate"`
	// Per-property NoPermission faults put into missingSet.
	Deny []Deny `json:"deny"`
	// When set, CreateContainerView fails with NoPermission naming this privilege.
	DenyViewPrivilege string `json:"deny_view_privilege"`
	// Answer the first SDK request with HTTP 503.
	Fail503 bool `json:"fail_first_request_503"`
	// Delay per SOAP method, in milliseconds (simulator.DelayConfig.MethodDelay).
	MethodDelayMs map[string]int `json:"method_delay_ms"`
	// Answer every ContinueRetrievePropertiesEx with NotAuthenticated, as when the session
	// expires in the middle of a paged read.
	ExpireOnContinue bool `json:"expire_session_on_continue"`
	// Remove the host of this name right after a client has read a container view's members
	// (as if it left the inventory between the listing and the reading of its properties).
	RemoveAfterListing string `json:"remove_after_listing"`
	// When set, reading a container view's members (its `view` property) fails with
	// NoPermission naming this privilege: the listing of the hosts fails.
	RefuseListingPrivilege string `json:"refuse_listing_privilege"`
}

type Generate struct {
	Datacenter string `json:"datacenter"`
	Cluster    string `json:"cluster"`
	Count      int    `json:"count"`
	Prefix     string `json:"prefix"`
}

type Deny struct {
	Host      string `json:"host"`
	Path      string `json:"path"`
	Privilege string `json:"privilege"`
}

type Datacenter struct {
	Name       string    `json:"name"`
	Dvs        []Dvs     `json:"dvs"`
	Clusters   []Cluster `json:"clusters"`
	Standalone []Host    `json:"standalone"`
}

type Dvs struct {
	Name       string      `json:"name"`
	MaxMtu     int32       `json:"max_mtu"`
	Portgroups []Portgroup `json:"portgroups"`
	// The switch's default teaming (uplink port names "Uplink 1" ...) and security policy,
	// which port groups without their own inherit.
	Teaming  *Teaming  `json:"teaming"`
	Security *Security `json:"security"`
}

// Portgroup is a distributed port group: its VLAN (an ID, {"trunk": [[a, b]]} or
// {"pvlan": id}), teaming with uplink port names, and security policy.
type Portgroup struct {
	Name     string          `json:"name"`
	Vlan     json.RawMessage `json:"vlan"`
	Teaming  *Teaming        `json:"teaming"`
	Security *Security       `json:"security"`
}

type Teaming struct {
	Policy  *string  `json:"policy"`
	Active  []string `json:"active"`
	Standby []string `json:"standby"`
}

type Security struct {
	Promiscuous     *bool `json:"promiscuous"`
	MacChanges      *bool `json:"mac_changes"`
	ForgedTransmits *bool `json:"forged_transmits"`
}

type Cluster struct {
	Name  string `json:"name"`
	Hosts []Host `json:"hosts"`
}

// Host has the fields of a vmkaudit inventory host (the expected result).
type Host struct {
	Name            string     `json:"name"`
	ConnectionState string     `json:"connection_state"`
	Version         string     `json:"version"`
	Build           string     `json:"build"`
	Vmks            []Vmk      `json:"vmks"`
	Netstacks       []Netstack `json:"netstacks"`
	Switches        []Switch   `json:"switches"`
	Firewall        *Firewall  `json:"firewall"`
	Services        []Service  `json:"services"`
	Pnics           []Pnic     `json:"pnics"`
	LockdownMode    *string    `json:"lockdown_mode"`
}

type Service struct {
	Key     string  `json:"key"`
	Label   *string `json:"label"`
	Running bool    `json:"running"`
	Policy  string  `json:"policy"`
}

// Pnic is served with a linkSpeed when link_up, without one (link down) otherwise.
type Pnic struct {
	Device    string  `json:"device"`
	LinkUp    *bool   `json:"link_up"`
	SpeedMbps *int32  `json:"speed_mbps"`
	Duplex    *string `json:"duplex"`
}

type Vmk struct {
	Device     string          `json:"device"`
	Portgroup  *string         `json:"portgroup"`
	Switch     *string         `json:"switch"`
	SwitchKind *string         `json:"switch_kind"`
	Vlan       json.RawMessage `json:"vlan"`
	Ipv4       *string         `json:"ipv4"`
	Netmask    *string         `json:"netmask"`
	Dhcp       *bool           `json:"dhcp"`
	Mtu        *int32          `json:"mtu"`
	Netstack   *string         `json:"netstack"`
	Gateway    *string         `json:"gateway"`
	Services   []string        `json:"services"`
	Mac        *string         `json:"mac"`
	Ipv6       []string        `json:"ipv6"`
	// IPv6 settings, served in spec.ip.ipV6Config and spec.ipRouteSpec.
	Ipv6Gateway  *string `json:"ipv6_gateway"`
	Ipv6Dhcp     *bool   `json:"ipv6_dhcp"`
	Ipv6Autoconf *bool   `json:"ipv6_autoconf"`
	// Effective policies (physical NIC names). For a distributed vmk whose values differ from
	// its port group's, the fixture serves a port-level override on the vmk's DV port.
	Teaming    *Teaming  `json:"teaming"`
	Security   *Security `json:"security"`
	IscsiBound *bool     `json:"iscsi_bound"`
}

type Netstack struct {
	Key         string  `json:"key"`
	Gateway     *string `json:"gateway"`
	Ipv6Gateway *string `json:"ipv6_gateway"`
	// Static routes, served as the stack instance's routeTableConfig (and for the default
	// stack also in the host's routeTableInfo, with the connected and default routes).
	Routes []Route `json:"routes"`
}

type Route struct {
	Network string  `json:"network"`
	Gateway string  `json:"gateway"`
	Device  *string `json:"device"`
}

type Switch struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Mtu     *int32   `json:"mtu"`
	Uplinks []string `json:"uplinks"`
}

type Firewall struct {
	IncomingBlocked bool      `json:"incoming_blocked"`
	OutgoingBlocked bool      `json:"outgoing_blocked"`
	Rulesets        []Ruleset `json:"rulesets"`
}

type Ruleset struct {
	Key             string   `json:"key"`
	Label           *string  `json:"label"`
	Enabled         bool     `json:"enabled"`
	AllIp           bool     `json:"all_ip"`
	AllowedIps      []string `json:"allowed_ips"`
	AllowedNetworks []string `json:"allowed_networks"`
	Rules           []Rule   `json:"rules"`
	// Not served: the simulator's vim25 types predate vSphere 8.0 U2.
	IpListUserConfigurable *bool `json:"ip_list_user_configurable"`
	UserControllable       *bool `json:"user_controllable"`
}

type Rule struct {
	Direction string `json:"direction"`
	Protocol  string `json:"protocol"`
	Port      int32  `json:"port"`
	EndPort   *int32 `json:"end_port"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ---- property collector with paging and denied properties ---------------------------------

var (
	pagesMu  sync.Mutex
	pages    = map[string][]types.ObjectContent{}
	pageSize = map[string]int{}
	nextTok  int
	denied   = map[types.ManagedObjectReference][]Deny{}
	// Scenario option expire_session_on_continue.
	expireOnContinue bool
	// Scenario option remove_after_listing, then pending once listed (cleared once done).
	removeAfterListing, removePending string
	// Scenario option refuse_listing_privilege.
	refuseListing string
)

// PagingCollector wraps the simulator's PropertyCollector: it honours options.maxObjects with
// a continuation token and applies the scenario's denied properties.
type PagingCollector struct {
	simulator.PropertyCollector
}

func deny(objects []types.ObjectContent) {
	for i := range objects {
		o := &objects[i]
		for _, d := range denied[o.Obj] {
			kept := o.PropSet[:0]
			for _, p := range o.PropSet {
				if p.Name != d.Path {
					kept = append(kept, p)
				}
			}
			o.PropSet = kept
			o.MissingSet = append(o.MissingSet, types.MissingProperty{
				Path: d.Path,
				Fault: types.LocalizedMethodFault{
					Fault: &types.NoPermission{
						Object:      o.Obj,
						PrivilegeId: d.Privilege,
					},
					LocalizedMessage: "Permission to perform this operation was denied.",
				},
			})
		}
	}
}

func page(objects []types.ObjectContent, max int) *types.RetrieveResult {
	res := &types.RetrieveResult{}
	if max <= 0 || len(objects) <= max {
		res.Objects = objects
		return res
	}
	pagesMu.Lock()
	defer pagesMu.Unlock()
	nextTok++
	tok := strconv.Itoa(nextTok)
	pages[tok] = objects[max:]
	pageSize[tok] = max
	res.Objects = objects[:max]
	res.Token = tok
	return res
}

// removeListed applies remove_after_listing: once a client has listed a container view's
// members, the host goes away before the first read of host objects named directly (after the
// listing's answer was sent, which the simulator encodes from the live view).
func removeListed(ctx *simulator.Context, r *types.RetrievePropertiesEx) {
	listing, direct := false, false
	for _, spec := range r.SpecSet {
		for _, ps := range spec.PropSet {
			listing = listing || ps.Type == "ContainerView"
		}
		for _, o := range spec.ObjectSet {
			direct = direct || (o.Obj.Type == "HostSystem" && o.SelectSet == nil)
		}
	}
	pagesMu.Lock()
	defer pagesMu.Unlock()
	if listing && removeAfterListing != "" {
		removePending, removeAfterListing = removeAfterListing, ""
	}
	if direct && removePending != "" {
		for _, e := range ctx.Map.All("HostSystem") {
			if e.Entity().Name == removePending {
				ctx.Map.Remove(e.Reference())
			}
		}
		removePending = ""
	}
}

func (pc *PagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	// As vCenter: an object of objectSet that does not exist fails the call unless
	// reportMissingObjectsInResults is true, and then it comes back with a missingSet (the
	// simulator skips it silently when the flag is unset).
	removeListed(ctx, r)
	if refuseListing != "" {
		for _, spec := range r.SpecSet {
			for _, ps := range spec.PropSet {
				if ps.Type == "ContainerView" {
					body := &methods.RetrievePropertiesExBody{}
					body.Fault_ = simulator.Fault("Permission to perform this operation was denied.",
						&types.NoPermission{Object: spec.ObjectSet[0].Obj, PrivilegeId: refuseListing})
					return body
				}
			}
		}
	}
	report := false
	for i := range r.SpecSet {
		if r.SpecSet[i].ReportMissingObjectsInResults == nil {
			no := false
			r.SpecSet[i].ReportMissingObjectsInResults = &no
		}
		report = report || *r.SpecSet[i].ReportMissingObjectsInResults
	}
	body := pc.PropertyCollector.RetrievePropertiesEx(ctx, r)
	full, ok := body.(*methods.RetrievePropertiesExBody)
	if !ok || full.Res == nil {
		return body
	}
	if full.Res.Returnval == nil {
		full.Res.Returnval = &types.RetrieveResult{}
	}
	objects := full.Res.Returnval.Objects
	if report {
		seen := map[types.ManagedObjectReference]bool{}
		for _, o := range objects {
			seen[o.Obj] = true
		}
		for _, spec := range r.SpecSet {
			for _, o := range spec.ObjectSet {
				if !seen[o.Obj] && o.SelectSet == nil && ctx.Map.Get(o.Obj) == nil {
					objects = append(objects, types.ObjectContent{Obj: o.Obj, MissingSet: []types.MissingProperty{{
						Fault: types.LocalizedMethodFault{
							Fault:            &types.ManagedObjectNotFound{Obj: o.Obj},
							LocalizedMessage: "The object has already been deleted or has not been completely created",
						},
					}}})
				}
			}
		}
	}
	if len(objects) == 0 && full.Res.Returnval.Token == "" && len(full.Res.Returnval.Objects) == 0 {
		full.Res.Returnval = nil
		return full
	}
	deny(objects)
	full.Res.Returnval = page(objects, int(r.Options.MaxObjects))
	return full
}

func (pc *PagingCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	pagesMu.Lock()
	rest, ok := pages[r.Token]
	max := pageSize[r.Token]
	delete(pages, r.Token)
	delete(pageSize, r.Token)
	pagesMu.Unlock()
	if !ok {
		body.Fault_ = simulator.Fault("unknown token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	if expireOnContinue {
		body.Fault_ = simulator.Fault("The session is not authenticated.", &types.NotAuthenticated{
			NoPermission: types.NoPermission{Object: pc.Self, PrivilegeId: "System.View"},
		})
		return body
	}
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *page(rest, max)}
	return body
}

func (pc *PagingCollector) CancelRetrievePropertiesEx(ctx *simulator.Context, r *types.CancelRetrievePropertiesEx) soap.HasFault {
	pagesMu.Lock()
	delete(pages, r.Token)
	delete(pageSize, r.Token)
	pagesMu.Unlock()
	return &methods.CancelRetrievePropertiesExBody{Res: &types.CancelRetrievePropertiesExResponse{}}
}

// CreatePropertyCollector makes a collector of the session's own that pages like this one
// (the simulator's own would ignore maxObjects).
func (pc *PagingCollector) CreatePropertyCollector(ctx *simulator.Context, c *types.CreatePropertyCollector) soap.HasFault {
	cpc := &PagingCollector{}
	// Typed as vCenter types it (the wrapper's own type name otherwise).
	cpc.Self = types.ManagedObjectReference{Type: "PropertyCollector"}
	return &methods.CreatePropertyCollectorBody{
		Res: &types.CreatePropertyCollectorResponse{Returnval: ctx.Session.Put(cpc).Reference()},
	}
}

// DenyingViewManager refuses CreateContainerView with NoPermission.
type DenyingViewManager struct {
	simulator.ViewManager
	privilege string
}

func (m *DenyingViewManager) CreateContainerView(ctx *simulator.Context, req *types.CreateContainerView) soap.HasFault {
	body := &methods.CreateContainerViewBody{}
	body.Fault_ = simulator.Fault("Permission to perform this operation was denied.",
		&types.NoPermission{Object: req.Container, PrivilegeId: m.privilege})
	return body
}

// ---- building the inventory ----------------------------------------------------------------

type dvsInfo struct {
	uuid   string
	mtu    int32
	pgKeys map[string]string
	ref    *object.DistributedVirtualSwitch
	def    Dvs
}

// vlanOf reads a scenario VLAN: a number (the ID) or {"trunk": [[a, b], ...]} / {"pvlan": id}.
func vlanOf(raw json.RawMessage) (*int32, types.BaseVmwareDistributedVirtualSwitchVlanSpec) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var id int32
	if json.Unmarshal(raw, &id) == nil {
		return &id, &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: id}
	}
	var spec struct {
		Trunk [][2]int32 `json:"trunk"`
		Pvlan *int32     `json:"pvlan"`
	}
	check(json.Unmarshal(raw, &spec), "vlan "+string(raw))
	if spec.Pvlan != nil {
		return nil, &types.VmwareDistributedVirtualSwitchPvlanSpec{PvlanId: *spec.Pvlan}
	}
	t := &types.VmwareDistributedVirtualSwitchTrunkVlanSpec{}
	for _, r := range spec.Trunk {
		t.VlanId = append(t.VlanId, types.NumericRange{Start: r[0], End: r[1]})
	}
	return nil, t
}

func boolPolicy(b *bool) *types.BoolPolicy {
	if b == nil {
		return nil
	}
	return &types.BoolPolicy{Value: types.NewBool(*b)}
}

// dvSetting is a distributed port setting with the given parts (nil parts left out).
func dvSetting(vlan types.BaseVmwareDistributedVirtualSwitchVlanSpec, t *Teaming, sec *Security) *types.VMwareDVSPortSetting {
	s := &types.VMwareDVSPortSetting{Vlan: vlan}
	if t != nil {
		tp := &types.VmwareUplinkPortTeamingPolicy{
			UplinkPortOrder: &types.VMwareUplinkPortOrderPolicy{ActiveUplinkPort: t.Active, StandbyUplinkPort: t.Standby},
		}
		if t.Policy != nil {
			tp.Policy = &types.StringPolicy{Value: *t.Policy}
		}
		s.UplinkTeamingPolicy = tp
	}
	if sec != nil {
		s.SecurityPolicy = &types.DVSSecurityPolicy{
			AllowPromiscuous: boolPolicy(sec.Promiscuous),
			MacChanges:       boolPolicy(sec.MacChanges),
			ForgedTransmits:  boolPolicy(sec.ForgedTransmits),
		}
	}
	return s
}

// uplinkName is the uplink port name of a host's n-th uplink of a distributed switch.
func uplinkName(n int) string { return fmt.Sprintf("Uplink %d", n+1) }

// mapTeaming renames a teaming policy's uplinks with f (nil stays nil; "" drops one).
func mapTeaming(t *Teaming, f func(string) string) *Teaming {
	if t == nil {
		return nil
	}
	r := &Teaming{Policy: t.Policy, Active: []string{}, Standby: []string{}}
	// An uplink without a counterpart (no NIC on this host) is left out, as vmkaudit does.
	for _, a := range t.Active {
		if n := f(a); n != "" {
			r.Active = append(r.Active, n)
		}
	}
	for _, a := range t.Standby {
		if n := f(a); n != "" {
			r.Standby = append(r.Standby, n)
		}
	}
	return r
}

// same compares two scenario values by their JSON.
func same(a, b interface{}) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	var u, v interface{}
	json.Unmarshal(x, &u)
	json.Unmarshal(y, &v)
	return fmt.Sprint(u) == fmt.Sprint(v)
}

func sameVlan(a, b json.RawMessage) bool {
	var u, v interface{}
	json.Unmarshal(a, &u)
	json.Unmarshal(b, &v)
	return fmt.Sprint(u) == fmt.Sprint(v)
}

func check(err error, what string) {
	if err != nil {
		log.Fatalf("vcsim-fixture: %s: %v", what, err)
	}
}

func fakeUUID(name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	s := fmt.Sprintf("%016x%016x", h.Sum64(), h.Sum64()^0x5a5a5a5a5a5a5a5a)
	var parts []string
	for i := 0; i < 32; i += 2 {
		parts = append(parts, s[i:i+2])
	}
	return strings.Join(parts[:8], " ") + "-" + strings.Join(parts[8:], " ")
}

func pnicKey(dev string) string { return "key-vim.host.PhysicalNic-" + dev }
func vnicKey(dev string) string { return "key-vim.host.VirtualNic-" + dev }

// configureHost writes the scenario host into the simulator's host object.
func configureHost(hs *simulator.HostSystem, h Host, dvs map[string]*dvsInfo) {
	hs.Name = h.Name
	hs.Summary.Config.Name = h.Name
	if h.ConnectionState != "" {
		hs.Runtime.ConnectionState = types.HostSystemConnectionState(h.ConnectionState)
	}
	hs.Summary.Config.Product = &types.AboutInfo{
		Name:          "VMware ESXi",
		FullName:      fmt.Sprintf("VMware ESXi %s build-%s", h.Version, h.Build),
		Vendor:        "VMware, Inc.",
		Version:       h.Version,
		Build:         h.Build,
		OsType:        "vmnix-x86",
		ProductLineId: "embeddedEsx",
		ApiType:       "HostAgent",
		ApiVersion:    "7.0.3.0",
	}

	network := &types.HostNetworkInfo{}
	if h.Pnics != nil {
		for _, p := range h.Pnics {
			nic := types.PhysicalNic{Key: pnicKey(p.Device), Device: p.Device, Driver: "nvmxnet3"}
			if p.LinkUp != nil && *p.LinkUp {
				var speed int32
				if p.SpeedMbps != nil {
					speed = *p.SpeedMbps
				}
				nic.LinkSpeed = &types.PhysicalNicLinkInfo{SpeedMb: speed, Duplex: p.Duplex != nil && *p.Duplex == "full"}
			}
			network.Pnic = append(network.Pnic, nic)
		}
	} else {
		seenPnic := map[string]bool{}
		for _, sw := range h.Switches {
			for _, u := range sw.Uplinks {
				if !seenPnic[u] {
					seenPnic[u] = true
					network.Pnic = append(network.Pnic, types.PhysicalNic{Key: pnicKey(u), Device: u, Driver: "nvmxnet3"})
				}
			}
		}
	}
	// Standard port groups come from the standard vmks, plus a VM port group as noise.
	type pg struct {
		name, sw string
		vlan     int32
		teaming  *Teaming
		security *Security
	}
	var pgs []pg
	seenPg := map[string]bool{}
	for _, v := range h.Vmks {
		if str(v.SwitchKind) == "standard" && v.Portgroup != nil && !seenPg[*v.Portgroup] {
			seenPg[*v.Portgroup] = true
			var vlan int32
			if id, _ := vlanOf(v.Vlan); id != nil {
				vlan = *id
			}
			pgs = append(pgs, pg{*v.Portgroup, str(v.Switch), vlan, v.Teaming, v.Security})
		}
	}
	for _, sw := range h.Switches {
		if sw.Kind == "standard" {
			pgs = append(pgs, pg{"VM Network " + sw.Name, sw.Name, 999, nil, nil})
		}
	}
	for _, p := range pgs {
		policy := types.HostNetworkPolicy{}
		if p.teaming != nil {
			policy.NicTeaming = &types.HostNicTeamingPolicy{
				Policy:   str(p.teaming.Policy),
				NicOrder: &types.HostNicOrderPolicy{ActiveNic: p.teaming.Active, StandbyNic: p.teaming.Standby},
			}
		}
		if p.security != nil {
			policy.Security = &types.HostNetworkSecurityPolicy{
				AllowPromiscuous: p.security.Promiscuous, MacChanges: p.security.MacChanges, ForgedTransmits: p.security.ForgedTransmits,
			}
		}
		network.Portgroup = append(network.Portgroup, types.HostPortGroup{
			Key:            "key-vim.host.PortGroup-" + p.name,
			Vswitch:        "key-vim.host.VirtualSwitch-" + p.sw,
			ComputedPolicy: policy,
			Spec:           types.HostPortGroupSpec{Name: p.name, VlanId: p.vlan, VswitchName: p.sw},
		})
	}
	// Per distributed switch: uplink port name <-> physical NIC of this host.
	uplinkNic := map[string]map[string]string{}
	nicUplink := map[string]map[string]string{}
	for _, sw := range h.Switches {
		var pnics []string
		for _, u := range sw.Uplinks {
			pnics = append(pnics, pnicKey(u))
		}
		var mtu int32
		if sw.Mtu != nil {
			mtu = *sw.Mtu
		}
		if sw.Kind == "standard" {
			var pgKeys []string
			for _, p := range pgs {
				if p.sw == sw.Name {
					pgKeys = append(pgKeys, "key-vim.host.PortGroup-"+p.name)
				}
			}
			network.Vswitch = append(network.Vswitch, types.HostVirtualSwitch{
				Name: sw.Name, Key: "key-vim.host.VirtualSwitch-" + sw.Name,
				NumPorts: 128, NumPortsAvailable: 100, Mtu: mtu, Portgroup: pgKeys, Pnic: pnics,
				Spec: types.HostVirtualSwitchSpec{NumPorts: 128, Mtu: mtu},
			})
		} else if sw.Kind == "nsx" {
			network.OpaqueSwitch = append(network.OpaqueSwitch, types.HostOpaqueSwitch{
				Key: "nvds-" + sw.Name, Name: sw.Name, Pnic: pnics, Status: "up",
			})
		} else {
			d := dvs[sw.Name]
			if d == nil {
				log.Fatalf("vcsim-fixture: host %s: distributed switch %s is not defined in its datacenter", h.Name, sw.Name)
			}
			uplinkNic[sw.Name] = map[string]string{}
			nicUplink[sw.Name] = map[string]string{}
			var ports []types.KeyValue
			backing := &types.DistributedVirtualSwitchHostMemberPnicBacking{}
			for i, u := range sw.Uplinks {
				key := strconv.Itoa(900 + i)
				ports = append(ports, types.KeyValue{Key: key, Value: uplinkName(i)})
				backing.PnicSpec = append(backing.PnicSpec, types.DistributedVirtualSwitchHostMemberPnicSpec{PnicDevice: u, UplinkPortKey: key})
				uplinkNic[sw.Name][uplinkName(i)] = u
				nicUplink[sw.Name][u] = uplinkName(i)
			}
			network.ProxySwitch = append(network.ProxySwitch, types.HostProxySwitch{
				DvsUuid: d.uuid, DvsName: sw.Name, Key: d.uuid, NumPorts: 512, NumPortsAvailable: 500,
				Mtu: mtu, Pnic: pnics, UplinkPort: ports, Spec: types.HostProxySwitchSpec{Backing: backing},
			})
		}
	}
	// vmks, in reverse order so that the collector has to sort them.
	for i := len(h.Vmks) - 1; i >= 0; i-- {
		v := h.Vmks[i]
		spec := types.HostVirtualNicSpec{
			Mac:                 str(v.Mac),
			NetStackInstanceKey: str(v.Netstack),
			Ip: &types.HostIpConfig{
				IpAddress:  str(v.Ipv4),
				SubnetMask: str(v.Netmask),
			},
		}
		if v.Dhcp != nil {
			spec.Ip.Dhcp = *v.Dhcp
		}
		if v.Mtu != nil {
			spec.Mtu = *v.Mtu
		}
		if len(v.Ipv6) > 0 || v.Ipv6Dhcp != nil || v.Ipv6Autoconf != nil {
			cfg := &types.HostIpConfigIpV6AddressConfiguration{AutoConfigurationEnabled: v.Ipv6Autoconf, DhcpV6Enabled: v.Ipv6Dhcp}
			for _, a := range v.Ipv6 {
				parts := strings.SplitN(a, "/", 2)
				prefix, _ := strconv.Atoi(parts[1])
				cfg.IpV6Address = append(cfg.IpV6Address, types.HostIpConfigIpV6Address{
					IpAddress: parts[0], PrefixLength: int32(prefix), Origin: "manual", DadState: "preferred"})
			}
			spec.Ip.IpV6Config = cfg
		}
		if v.Gateway != nil || v.Ipv6Gateway != nil {
			spec.IpRouteSpec = &types.HostVirtualNicIpRouteSpec{
				IpRouteConfig: &types.HostIpRouteConfig{DefaultGateway: str(v.Gateway), IpV6DefaultGateway: str(v.Ipv6Gateway)},
			}
		}
		portgroup := ""
		if str(v.SwitchKind) == "nsx" {
			if v.Portgroup == nil {
				// An NSX tunnel endpoint: a vmk of the opaque switch.
				for j := range network.OpaqueSwitch {
					if network.OpaqueSwitch[j].Name == str(v.Switch) {
						network.OpaqueSwitch[j].Vtep = append(network.OpaqueSwitch[j].Vtep, types.HostVirtualNic{
							Device: v.Device, Key: vnicKey(v.Device), Spec: spec,
						})
					}
				}
				continue
			}
			id := "ls-" + *v.Portgroup
			spec.OpaqueNetwork = &types.HostVirtualNicOpaqueNetworkSpec{OpaqueNetworkId: id, OpaqueNetworkType: "nsx.LogicalSwitch"}
			network.OpaqueNetwork = append(network.OpaqueNetwork, types.HostOpaqueNetworkInfo{
				OpaqueNetworkId: id, OpaqueNetworkName: *v.Portgroup, OpaqueNetworkType: "nsx.LogicalSwitch",
			})
		} else if str(v.SwitchKind) == "distributed" {
			d := dvs[str(v.Switch)]
			if d == nil {
				log.Fatalf("vcsim-fixture: host %s %s: unknown distributed switch %q", h.Name, v.Device, str(v.Switch))
			}
			key := "dvportgroup-unknown"
			if v.Portgroup != nil {
				k, ok := d.pgKeys[*v.Portgroup]
				if !ok {
					log.Fatalf("vcsim-fixture: host %s %s: no port group %q on %s", h.Name, v.Device, *v.Portgroup, str(v.Switch))
				}
				key = k
			}
			portKey := strconv.Itoa(100 + i)
			spec.DistributedVirtualPort = &types.DistributedVirtualSwitchPortConnection{
				SwitchUuid: d.uuid, PortgroupKey: key, PortKey: portKey,
			}
			if v.Portgroup != nil && d.ref != nil {
				portOverride(hs, h, v, d, *v.Portgroup, key, portKey, uplinkNic[str(v.Switch)], nicUplink[str(v.Switch)])
			}
		} else {
			portgroup = str(v.Portgroup)
			spec.Portgroup = portgroup
		}
		network.Vnic = append(network.Vnic, types.HostVirtualNic{
			Device: v.Device, Key: vnicKey(v.Device), Portgroup: portgroup, Spec: spec,
		})
	}
	for i := len(h.Netstacks) - 1; i >= 0; i-- {
		n := h.Netstacks[i]
		var entries []types.HostIpRouteEntry
		for _, r := range n.Routes {
			parts := strings.SplitN(r.Network, "/", 2)
			prefix, _ := strconv.Atoi(parts[1])
			entries = append(entries, types.HostIpRouteEntry{Network: parts[0], PrefixLength: int32(prefix), Gateway: r.Gateway, DeviceName: str(r.Device)})
		}
		instance := types.HostNetStackInstance{
			Key: n.Key, Name: n.Key,
			IpRouteConfig: &types.HostIpRouteConfig{DefaultGateway: str(n.Gateway), IpV6DefaultGateway: str(n.Ipv6Gateway)},
		}
		if n.Key == "defaultTcpipStack" {
			network.IpRouteConfig = &types.HostIpRouteConfig{DefaultGateway: str(n.Gateway), IpV6DefaultGateway: str(n.Ipv6Gateway)}
			if n.Routes != nil {
				// As a real host: the default stack's routes only in the host's route table,
				// with the default route and the connected networks of its vmks around them.
				table := &types.HostIpRouteTableInfo{}
				if n.Gateway != nil {
					table.IpRoute = append(table.IpRoute, types.HostIpRouteEntry{Network: "0.0.0.0", PrefixLength: 0, Gateway: *n.Gateway, DeviceName: "vmk0"})
				}
				for _, v := range h.Vmks {
					if v.Ipv4 != nil && v.Netmask != nil && (v.Netstack == nil || *v.Netstack == n.Key) {
						ip := net.ParseIP(*v.Ipv4).To4()
						mask := net.IPMask(net.ParseIP(*v.Netmask).To4())
						ones, _ := mask.Size()
						table.IpRoute = append(table.IpRoute, types.HostIpRouteEntry{Network: ip.Mask(mask).String(), PrefixLength: int32(ones), Gateway: "0.0.0.0", DeviceName: v.Device})
					}
				}
				table.IpRoute = append(table.IpRoute, entries...)
				network.RouteTableInfo = table
			}
		} else if n.Routes != nil {
			cfg := &types.HostIpRouteTableConfig{}
			for _, e := range entries {
				cfg.IpRoute = append(cfg.IpRoute, types.HostIpRouteOp{ChangeOperation: "ignore", Route: e})
			}
			instance.RouteTableConfig = cfg
		}
		network.NetStackInstance = append(network.NetStackInstance, instance)
	}
	hs.Config.Network = network

	hs.Config.Service = nil
	if h.Services != nil {
		info := &types.HostServiceInfo{}
		for _, sv := range h.Services {
			info.Service = append(info.Service, types.HostService{Key: sv.Key, Label: str(sv.Label), Running: sv.Running, Policy: sv.Policy})
		}
		hs.Config.Service = info
	}
	hs.Config.LockdownMode = ""
	if h.LockdownMode != nil {
		hs.Config.LockdownMode = types.HostLockdownMode("lockdown" + strings.Title(*h.LockdownMode))
	}

	// Services: one netConfig per nicType; selectedVnic entries are "<nicType>.<vnic key>".
	nicTypes := []string{"management", "vmotion", "faultToleranceLogging", "vSphereReplication", "vSphereProvisioning"}
	for _, v := range h.Vmks {
		for _, s := range v.Services {
			found := false
			for _, t := range nicTypes {
				found = found || t == s
			}
			if !found {
				nicTypes = append(nicTypes, s)
			}
		}
	}
	info := &types.HostVirtualNicManagerInfo{}
	for _, t := range nicTypes {
		nc := types.VirtualNicManagerNetConfig{NicType: t, MultiSelectAllowed: true, CandidateVnic: network.Vnic}
		for _, v := range h.Vmks {
			for _, s := range v.Services {
				if s == t {
					nc.SelectedVnic = append(nc.SelectedVnic, t+"."+vnicKey(v.Device))
				}
			}
		}
		info.NetConfig = append(info.NetConfig, nc)
	}
	hs.Config.VirtualNicManagerInfo = info

	if h.Firewall == nil {
		hs.Config.Firewall = nil
	} else {
		fw := &types.HostFirewallInfo{DefaultPolicy: types.HostFirewallDefaultPolicy{
			IncomingBlocked: types.NewBool(h.Firewall.IncomingBlocked),
			OutgoingBlocked: types.NewBool(h.Firewall.OutgoingBlocked),
		}}
		for i := len(h.Firewall.Rulesets) - 1; i >= 0; i-- {
			r := h.Firewall.Rulesets[i]
			ips := &types.HostFirewallRulesetIpList{AllIp: r.AllIp, IpAddress: r.AllowedIps}
			for _, n := range r.AllowedNetworks {
				parts := strings.SplitN(n, "/", 2)
				prefix, _ := strconv.Atoi(parts[1])
				ips.IpNetwork = append(ips.IpNetwork, types.HostFirewallRulesetIpNetwork{Network: parts[0], PrefixLength: int32(prefix)})
			}
			rules := []types.HostFirewallRule{}
			for _, ru := range r.Rules {
				rule := types.HostFirewallRule{Port: ru.Port, Direction: types.HostFirewallRuleDirection(ru.Direction), PortType: "dst", Protocol: ru.Protocol}
				if ru.EndPort != nil {
					rule.EndPort = *ru.EndPort
				}
				rules = append(rules, rule)
			}
			fw.Ruleset = append(fw.Ruleset, types.HostFirewallRuleset{
				Key: r.Key, Label: str(r.Label), Enabled: r.Enabled, Service: r.Key, AllowedHosts: ips, Rule: rules,
			})
		}
		hs.Config.Firewall = fw
	}
}

// portOverride gives the vmk's DV port the parts of the vmk's expected VLAN, teaming and
// security policy that differ from its port group's (with the switch's defaults), and lets the
// port group allow such overrides, the way vCenter shows a port-level override.
func portOverride(hs *simulator.HostSystem, h Host, v Vmk, d *dvsInfo, pgName, pgKey, portKey string, uplinkNic, nicUplink map[string]string) {
	var def Portgroup
	for _, p := range d.def.Portgroups {
		if p.Name == pgName {
			def = p
		}
	}
	teaming, security := def.Teaming, def.Security
	if teaming == nil {
		teaming = d.def.Teaming
	}
	if security == nil {
		security = d.def.Security
	}
	pgTeaming := mapTeaming(teaming, func(u string) string { return uplinkNic[u] })
	var vlan types.BaseVmwareDistributedVirtualSwitchVlanSpec
	setting := &types.VMwareDVSPortSetting{}
	overridden := false
	if !sameVlan(v.Vlan, def.Vlan) {
		_, vlan = vlanOf(v.Vlan)
		setting.Vlan = vlan
		overridden = true
	}
	if !same(v.Teaming, pgTeaming) && v.Teaming != nil {
		setting.UplinkTeamingPolicy = dvSetting(nil, mapTeaming(v.Teaming, func(n string) string { return nicUplink[n] }), nil).UplinkTeamingPolicy
		overridden = true
	}
	if !same(v.Security, security) && v.Security != nil {
		setting.SecurityPolicy = dvSetting(nil, nil, v.Security).SecurityPolicy
		overridden = true
	}
	if !overridden {
		return
	}
	sim := simulator.Map.Get(d.ref.Reference()).(*simulator.DistributedVirtualSwitch)
	sim.FetchDVPortsResponse.Returnval = append(sim.FetchDVPortsResponse.Returnval, types.DistributedVirtualPort{
		Key: portKey, DvsUuid: d.uuid, PortgroupKey: pgKey,
		Config: types.DVPortConfigInfo{Setting: setting},
		Connectee: &types.DistributedVirtualSwitchPortConnectee{
			ConnectedEntity: &hs.Self, NicKey: v.Device, Type: "hostVmkVirtualNic",
		},
	})
	for _, ref := range sim.Portgroup {
		pg := simulator.Map.Get(ref).(*simulator.DistributedVirtualPortgroup)
		if pg.Key == pgKey {
			pg.Config.Policy = &types.VMwareDVSPortgroupPolicy{
				VlanOverrideAllowed: true, UplinkTeamingOverrideAllowed: true, SecurityPolicyOverrideAllowed: true,
			}
		}
	}
}

func generated(g *Generate) []Host {
	var hosts []Host
	for i := 1; i <= g.Count; i++ {
		pg, sw, kind, ns := "Management Network", "vSwitch0", "standard", "defaultTcpipStack"
		ip := fmt.Sprintf("10.9.%d.%d", i/250, i%250+1)
		mask := "255.255.0.0"
		var mtu int32 = 1500
		vlan := json.RawMessage("0")
		dhcp := false
		gw := "10.9.255.254"
		hosts = append(hosts, Host{
			Name:            fmt.Sprintf("%s%03d.lab", g.Prefix, i),
			ConnectionState: "connected",
			Version:         "8.0.2",
			Build:           "22380479",
			Vmks: []Vmk{{Device: "vmk0", Portgroup: &pg, Switch: &sw, SwitchKind: &kind, Vlan: vlan,
				Ipv4: &ip, Netmask: &mask, Dhcp: &dhcp, Mtu: &mtu, Netstack: &ns, Services: []string{"management"}}},
			Netstacks: []Netstack{{Key: ns, Gateway: &gw}},
			Switches:  []Switch{{Name: sw, Kind: kind, Mtu: &mtu, Uplinks: []string{"vmnic0"}}},
		})
	}
	return hosts
}

func buildVcenter(ctx context.Context, sc *Scenario, c *vim25.Client) {
	root := object.NewRootFolder(c)
	for _, dc := range sc.Datacenters {
		if sc.Generate != nil && sc.Generate.Datacenter == dc.Name {
			dc.Clusters = append(dc.Clusters, Cluster{Name: sc.Generate.Cluster, Hosts: generated(sc.Generate)})
		}
		d, err := root.CreateDatacenter(ctx, dc.Name)
		check(err, "create datacenter "+dc.Name)
		folders, err := d.Folders(ctx)
		check(err, "datacenter folders")

		dvs := map[string]*dvsInfo{}
		for _, s := range dc.Dvs {
			spec := types.DVSCreateSpec{ConfigSpec: &types.VMwareDVSConfigSpec{
				DVSConfigSpec: types.DVSConfigSpec{Name: s.Name}, MaxMtu: s.MaxMtu}}
			task, err := folders.NetworkFolder.CreateDVS(ctx, spec)
			check(err, "create dvs "+s.Name)
			res, err := task.WaitForResult(ctx, nil)
			check(err, "create dvs "+s.Name)
			ref := res.Result.(types.ManagedObjectReference)
			sim := simulator.Map.Get(ref).(*simulator.DistributedVirtualSwitch)
			// The simulator does not copy the VMware-specific maxMtu into config.
			sim.Config.(*types.VMwareDVSConfigInfo).MaxMtu = s.MaxMtu
			obj := object.NewDistributedVirtualSwitch(c, ref)
			// Only the scenario's default policies, none of the simulator's own.
			sim.Config.GetDVSConfigInfo().DefaultPortConfig = dvSetting(nil, s.Teaming, s.Security)
			info := &dvsInfo{uuid: sim.Uuid, mtu: s.MaxMtu, pgKeys: map[string]string{}, ref: obj, def: s}
			for _, p := range s.Portgroups {
				_, vlan := vlanOf(p.Vlan)
				setting := dvSetting(vlan, p.Teaming, p.Security)
				task, err := obj.AddPortgroup(ctx, []types.DVPortgroupConfigSpec{{Name: p.Name, DefaultPortConfig: setting, Type: "earlyBinding", NumPorts: 8}})
				check(err, "add portgroup "+p.Name)
				check(task.Wait(ctx), "add portgroup "+p.Name)
			}
			for _, pref := range simulator.Map.Get(ref).(*simulator.DistributedVirtualSwitch).Portgroup {
				pg := simulator.Map.Get(pref).(*simulator.DistributedVirtualPortgroup)
				info.pgKeys[pg.Config.Name] = pg.Config.Key
			}
			dvs[s.Name] = info
		}

		add := func(h Host, task *object.Task, err error) {
			check(err, "add host "+h.Name)
			res, err := task.WaitForResult(ctx, nil)
			check(err, "add host "+h.Name)
			ref := res.Result.(types.ManagedObjectReference)
			for _, sw := range h.Switches {
				if d := dvs[sw.Name]; d != nil && sw.Kind == "distributed" {
					t, err := d.ref.Reconfigure(ctx, &types.DVSConfigSpec{Host: []types.DistributedVirtualSwitchHostMemberConfigSpec{{
						Operation: string(types.ConfigSpecOperationAdd), Host: ref}}})
					check(err, "add host to dvs")
					check(t.Wait(ctx), "add host to dvs")
				}
			}
			configureHost(simulator.Map.Get(ref).(*simulator.HostSystem), h, dvs)
		}
		for _, cl := range dc.Clusters {
			cluster, err := folders.HostFolder.CreateCluster(ctx, cl.Name, types.ClusterConfigSpecEx{})
			check(err, "create cluster "+cl.Name)
			for _, h := range cl.Hosts {
				task, err := cluster.AddHost(ctx, types.HostConnectSpec{HostName: h.Name}, true, nil, nil)
				add(h, task, err)
			}
		}
		for _, h := range dc.Standalone {
			task, err := folders.HostFolder.AddStandaloneHost(ctx, types.HostConnectSpec{HostName: h.Name}, true, nil, nil)
			add(h, task, err)
		}
	}
	for _, dn := range sc.Deny {
		for _, obj := range simulator.Map.All("HostSystem") {
			hs := obj.(*simulator.HostSystem)
			if hs.Name == dn.Host {
				denied[hs.Self] = append(denied[hs.Self], dn)
			}
		}
	}
}

func buildEsxi(sc *Scenario) {
	if len(sc.Datacenters) != 1 || len(sc.Datacenters[0].Standalone) != 1 {
		log.Fatal("vcsim-fixture: an esxi scenario has one datacenter with one standalone host")
	}
	dc := sc.Datacenters[0]
	dvs := map[string]*dvsInfo{}
	for _, s := range dc.Dvs {
		info := &dvsInfo{uuid: fakeUUID(s.Name), mtu: s.MaxMtu, pgKeys: map[string]string{}, def: s}
		for i, p := range s.Portgroups {
			info.pgKeys[p.Name] = fmt.Sprintf("dvportgroup-%d", 100+i)
		}
		dvs[s.Name] = info
	}
	hs := simulator.Map.Get(esx.HostSystem.Reference()).(*simulator.HostSystem)
	configureHost(hs, dc.Standalone[0], dvs)
	for _, dn := range sc.Deny {
		denied[hs.Self] = append(denied[hs.Self], dn)
	}
}

// ---- TLS -----------------------------------------------------------------------------------

func certificates(dir string) (tls.Certificate, string) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err, "ca key")
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vmkaudit test CA", Organization: []string{"vmkaudit tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	caDer, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	check(err, "ca certificate")
	ca, err := x509.ParseCertificate(caDer)
	check(err, "parse ca")

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err, "leaf key")
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	leafDer, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	check(err, "leaf certificate")

	caFile := filepath.Join(dir, "ca.pem")
	check(ioutil.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDer}), 0o644), "write ca")
	return tls.Certificate{Certificate: [][]byte{leafDer, caDer}, PrivateKey: key}, caFile
}

// ---- hostile answers ------------------------------------------------------------------------

// Hostile says how the fixture misbehaves, if at all.
type Hostile struct {
	Mode     string
	Method   string
	Location string
	Depth    int
	Bytes    int64
}

// calls reports whether the SOAP request body invokes method.
func calls(body []byte, method string) bool {
	return bytes.Contains(body, []byte("<"+method+" ")) || bytes.Contains(body, []byte("<"+method+">"))
}

// wrap answers h.Method the hostile way and passes every other request to next.
func (h Hostile) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := ioutil.ReadAll(r.Body)
		hosts := bytes.Contains(body, []byte("<type>HostSystem</type>"))
		if err != nil || !calls(body, h.Method) || (h.Mode == "badend" && !hosts) {
			r.Body = ioutil.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
			return
		}
		head := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><` +
			h.Method + `Response xmlns="urn:vim25"><returnval><objects>`
		tail := `</objects></returnval></` + h.Method + `Response></soapenv:Body></soapenv:Envelope>`
		switch h.Mode {
		case "redirect":
			w.Header().Set("Location", h.Location)
			w.WriteHeader(http.StatusTemporaryRedirect)
		case "deep":
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			var b bytes.Buffer
			b.WriteString(head)
			b.WriteString(strings.Repeat("<a>", h.Depth))
			b.WriteString(strings.Repeat("</a>", h.Depth))
			b.WriteString(tail)
			w.Write(b.Bytes())
		case "huge":
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.Write([]byte(head))
			pad := []byte("<pad>" + strings.Repeat("x", 4080) + "</pad>\n")
			for sent := int64(0); sent < h.Bytes; sent += int64(len(pad)) {
				if _, err := w.Write(pad); err != nil {
					return // the client gave up
				}
			}
			w.Write([]byte(tail))
		case "noobj":
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.Write([]byte(head + `<propSet><name>name</name><val xsi:type="xsd:string" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">phantom</val></propSet>` + tail))
		case "badend":
			c := &captured{header: w.Header(), status: http.StatusOK}
			r.Body = ioutil.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(c, r)
			answer := c.body.Bytes()
			end := []byte("</returnval>")
			i := bytes.LastIndex(answer, end)
			if i < 0 {
				log.Fatalf("badend: the answer to %s has no %s", h.Method, end)
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(c.status)
			w.Write(answer[:i])
			w.Write([]byte("</returnvalue>"))
			w.Write(answer[i+len(end):])
		case "stall":
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.Write([]byte(head))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			log.Fatalf("unknown -hostile mode %q", h.Mode)
		}
	})
}

// ---- latency and bookkeeping ---------------------------------------------------------------

// slow answers every request only after latency has passed, as a distant or busy vCenter does
// (each request waits on its own: requests on parallel connections wait side by side).
func slow(latency time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		next.ServeHTTP(w, r)
	})
}

// RequestLog appends one JSON line per SDK request to a file: the SOAP method, when the
// request arrived and when its answer was written (seconds since the fixture started), and
// the answer's size and the client's address (one per connection), so that the benchmark can
// count the requests a client sent one after the other.
type RequestLog struct {
	mu    sync.Mutex
	file  *os.File
	start time.Time
}

// soapMethod is the name of the first element inside the SOAP Body of a request.
func soapMethod(body []byte) string {
	i := bytes.Index(body, []byte("Body>"))
	if i < 0 {
		return ""
	}
	rest := body[i+5:]
	j := bytes.IndexByte(rest, '<')
	if j < 0 {
		return ""
	}
	rest = rest[j+1:]
	end := bytes.IndexAny(rest, " />")
	if end < 0 {
		return ""
	}
	name := string(rest[:end])
	if k := strings.LastIndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	return name
}

// countingWriter counts the bytes of an answer's body.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

// Flush passes a flush on (the hostile `stall` answer needs one).
func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (l *RequestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Since(l.start).Seconds()
		body, err := ioutil.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		counted := &countingWriter{ResponseWriter: w}
		next.ServeHTTP(counted, r)
		line, _ := json.Marshal(map[string]interface{}{
			"method": soapMethod(body), "arrived": arrived, "answered": time.Since(l.start).Seconds(),
			"bytes": counted.n, "remote": r.RemoteAddr,
		})
		l.mu.Lock()
		l.file.Write(append(line, '\n'))
		l.mu.Unlock()
	})
}

// Open counts what clients left open on the server: sessions logged in and not out, container
// views and property collectors created and not destroyed. With -track FILE it is written to
// FILE (JSON) before the answer that changed it is sent, so a client that has read its last
// answer finds the file up to date.
type Open struct {
	mu         sync.Mutex
	file       string
	Sessions   int `json:"sessions"`
	Views      int `json:"views"`
	Collectors int `json:"collectors"`
}

// captured is an answer held back until the bookkeeping is done.
type captured struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captured) Header() http.Header         { return c.header }
func (c *captured) Write(b []byte) (int, error) { return c.body.Write(b) }
func (c *captured) WriteHeader(status int)      { c.status = status }

// track counts the successful calls that open or close something, then sends the answer.
func (o *Open) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := ioutil.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		c := &captured{header: w.Header(), status: http.StatusOK}
		next.ServeHTTP(c, r)
		if c.status == http.StatusOK && !bytes.Contains(c.body.Bytes(), []byte("Fault>")) {
			o.mu.Lock()
			for _, m := range []struct {
				method string
				n      *int
				by     int
			}{
				{"Login", &o.Sessions, 1}, {"Logout", &o.Sessions, -1},
				{"CreateContainerView", &o.Views, 1}, {"DestroyView", &o.Views, -1},
				{"CreatePropertyCollector", &o.Collectors, 1}, {"DestroyPropertyCollector", &o.Collectors, -1},
			} {
				if calls(body, m.method) {
					*m.n += m.by
				}
			}
			out, _ := json.Marshal(o)
			check(ioutil.WriteFile(o.file+".tmp", out, 0o644), "write "+o.file)
			check(os.Rename(o.file+".tmp", o.file), "write "+o.file)
			o.mu.Unlock()
		}
		w.WriteHeader(c.status)
		w.Write(c.body.Bytes())
	})
}

// ---- main ----------------------------------------------------------------------------------

func main() {
	scenarioPath := flag.String("scenario", "", "scenario JSON file")
	dir := flag.String("dir", "", "directory for ca.pem (default: a new temporary directory)")
	var hostile Hostile
	flag.StringVar(&hostile.Mode, "hostile", "", "misbehave on one method: redirect, deep, huge, stall, noobj or badend")
	flag.StringVar(&hostile.Method, "on", "Login", "the SOAP method answered the hostile way")
	flag.StringVar(&hostile.Location, "location", "", "Location of the redirect")
	flag.IntVar(&hostile.Depth, "depth", 50000, "nesting depth of the deep answer")
	flag.Int64Var(&hostile.Bytes, "bytes", 64<<20, "size of the huge answer")
	latency := flag.Duration("latency", 0, "wait this long before answering each request (e.g. 200ms)")
	trackFile := flag.String("track", "", "keep the count of open sessions, views and collectors in this JSON file")
	logFile := flag.String("log", "", "append one JSON line per request (method, arrival and answer time) to this file")
	flag.Parse()
	log.SetFlags(0)

	data, err := ioutil.ReadFile(*scenarioPath)
	check(err, "read scenario")
	var sc Scenario
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	check(dec.Decode(&sc), "parse scenario "+*scenarioPath)
	if sc.User == "" {
		sc.User = "auditor@vsphere.local"
	}
	if sc.Password == "" {
		sc.Password = "pass"
	}
	if *dir == "" {
		*dir, err = ioutil.TempDir("", "vcsim-fixture-")
		check(err, "temp dir")
	}
	check(os.MkdirAll(*dir, 0o755), "create "+*dir)

	var model *simulator.Model
	if sc.Mode == "esxi" {
		model = simulator.ESX()
	} else {
		model = simulator.VPX()
		model.Datacenter = 0
		model.Portgroup = 0
		model.Host = 0
		model.Cluster = 0
		model.ClusterHost = 0
	}
	model.Datastore = 0
	model.Machine = 0
	model.Autostart = false
	check(model.Create(), "create model")

	ctx := context.Background()
	content := simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance).Content
	if sc.Mode == "esxi" {
		buildEsxi(&sc)
	} else {
		c, err := vim25.NewClient(ctx, model.Service)
		check(err, "in-process client")
		buildVcenter(ctx, &sc, c)
	}

	expireOnContinue = sc.ExpireOnContinue
	removeAfterListing = sc.RemoveAfterListing
	refuseListing = sc.RefuseListingPrivilege
	pc := &PagingCollector{}
	pc.Self = content.PropertyCollector
	simulator.Map.Put(pc)
	if sc.DenyViewPrivilege != "" {
		vm := &DenyingViewManager{
			ViewManager: *simulator.Map.Get(*content.ViewManager).(*simulator.ViewManager),
			privilege:   sc.DenyViewPrivilege,
		}
		simulator.Map.Put(vm)
	}

	cert, caFile := certificates(*dir)
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(sc.User, sc.Password)}
	server := model.Service.NewServer()
	if hostile.Mode != "" {
		// No client has the URL yet, so nothing reads the handler while it is replaced.
		server.Config.Handler = hostile.wrap(server.Config.Handler)
	}
	if *trackFile != "" {
		open := &Open{file: *trackFile}
		server.Config.Handler = open.track(server.Config.Handler)
	}
	if *latency > 0 {
		server.Config.Handler = slow(*latency, server.Config.Handler)
	}
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		check(err, "open "+*logFile)
		rl := &RequestLog{file: f, start: time.Now()}
		server.Config.Handler = rl.wrap(server.Config.Handler)
	}
	if len(sc.MethodDelayMs) > 0 {
		model.DelayConfig.MethodDelay = sc.MethodDelayMs
	}
	if sc.Fail503 {
		simulator.StatusSDK = 503
	}

	u := *server.URL
	u.User = nil
	out, _ := json.Marshal(map[string]string{"url": u.String(), "ca_file": caFile, "user": sc.User})
	fmt.Println(string(out))
	os.Stdout.Sync()

	// Serve until stdin is closed (the test harness holds the pipe).
	r := bufio.NewReader(os.Stdin)
	for {
		if _, err := r.ReadByte(); err != nil {
			break
		}
	}
	server.Close()
	model.Remove()
}
