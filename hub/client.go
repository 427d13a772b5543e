package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/node/httpx"
)

// Client calls a hub replica's HTTP API. Writes may go to any replica: it
// forwards them to the leader. The zero HTTP uses http.DefaultClient.
type Client struct {
	// BaseURL is the replica's address, "http://host:port".
	BaseURL string
	// Token is the API token sent with writes.
	Token string
	// HTTP is the client used (default http.DefaultClient).
	HTTP *http.Client
}

// Cluster returns the cluster as the replica sees it.
func (c *Client) Cluster(ctx context.Context) (*Status, error) {
	st := new(Status)
	return st, c.do(ctx, http.MethodGet, "/api/v1/cluster", nil, st)
}

// Members returns the servers of the replica's Raft configuration.
func (c *Client) Members(ctx context.Context) ([]Peer, error) {
	var list MemberList
	err := c.do(ctx, http.MethodGet, "/api/v1/cluster/members", nil, &list)
	return list.Members, err
}

// AddMember adds a replica as a voter. Its data folder must be new and the
// replica started without peers; m.HTTP may be empty (the replica records
// it itself once it has joined).
func (c *Client) AddMember(ctx context.Context, m fsm.Member) error {
	return c.do(ctx, http.MethodPost, "/api/v1/cluster/members", m, nil)
}

// UpdateMember records the addresses of a replica already in the cluster.
func (c *Client) UpdateMember(ctx context.Context, m fsm.Member) error {
	return c.do(ctx, http.MethodPut, "/api/v1/cluster/members/"+url.PathEscape(m.ID), m, nil)
}

// RemoveMember removes replica id from the cluster.
func (c *Client) RemoveMember(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/cluster/members/"+url.PathEscape(id), nil, nil)
}

// PutRegion registers a region or updates its description.
func (c *Client) PutRegion(ctx context.Context, reg o211.Region) (*fsm.Region, error) {
	out := new(fsm.Region)
	return out, c.do(ctx, http.MethodPut, "/api/v1/regions/"+url.PathEscape(reg.ID), reg, out)
}

// Regions returns the region registry as the replica holds it, with the
// applied index it was read at.
func (c *Client) Regions(ctx context.Context) (*RegionList, error) {
	out := new(RegionList)
	return out, c.do(ctx, http.MethodGet, "/api/v1/regions", nil, out)
}

// ApplyBatch applies a region's directory batch. A refused batch returns an
// *o211.Error; for a gap (ECONFLICT) the result still holds the mark.
func (c *Client) ApplyBatch(ctx context.Context, b *fsm.IngestBatch) (*fsm.IngestResult, error) {
	out := new(fsm.IngestResult)
	err := c.do(ctx, http.MethodPost, "/api/v1/directory/batch", b, out)
	var pe *ProblemError
	if asProblem(err, &pe) && pe.Problem.Mark != nil {
		out.Region, out.Mark = b.Region, *pe.Problem.Mark
	}
	return out, err
}

// ProblemError is an error answer of the API. It unwraps to an *o211.Error
// with the answer's code and message.
type ProblemError struct {
	Problem httpx.Problem
	err     *o211.Error
}

// Error returns the problem's detail.
func (e *ProblemError) Error() string { return e.err.Error() }

// Unwrap returns the domain error.
func (e *ProblemError) Unwrap() error { return e.err }

func asProblem(err error, pe **ProblemError) bool {
	p, ok := err.(*ProblemError)
	if ok {
		*pe = p
	}
	return ok
}

// do sends a request with in as JSON and decodes a 2xx answer into out. An
// error answer becomes a *ProblemError.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("hub client: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("hub client: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("hub client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeProblem(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("hub client: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

func decodeProblem(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var p httpx.Problem
	if json.Unmarshal(b, &p) != nil || p.Detail == "" {
		p = httpx.Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode), Code: httpx.CodeOf(resp.StatusCode),
			Detail: fmt.Sprintf("the hub answered %s", resp.Status)}
	}
	if p.Code == "" {
		p.Code = httpx.CodeOf(resp.StatusCode)
	}
	return &ProblemError{Problem: p, err: p.Err()}
}

// RegionRecords returns every record of region the hub holds and the
// region's mark, read on the leader after a Raft barrier (so it holds every
// acknowledged write).
func (c *Client) RegionRecords(ctx context.Context, region string) (*RegionRecords, error) {
	out := new(RegionRecords)
	return out, c.do(ctx, http.MethodGet, "/api/v1/regions/"+url.PathEscape(region)+"/records?consistent=true", nil, out)
}
