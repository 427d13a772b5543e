package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/hub/fsm"
	"github.com/o211/o211/internal/testutil"
)

// provincialCluster starts three replicas that serve the provincial API.
func provincialCluster(t *testing.T) ([]*Replica, []*Province) {
	t.Helper()
	peers := map[string]string{"h1": freeAddr(t), "h2": freeAddr(t), "h3": freeAddr(t)}
	var rs []*Replica
	var ps []*Province
	for _, id := range []string{"h1", "h2", "h3"} {
		r := New(Config{ID: id, DataDir: t.TempDir(), RaftAddr: peers[id], HTTPAddr: "127.0.0.1:0", Peers: peers,
			Token: testToken, Logger: testutil.Logger(t), NoSync: true, ShutdownTimeout: 3 * time.Second})
		p := r.ServeProvince()
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		p.Start(context.Background())
		rs, ps = append(rs, r), append(ps, p)
	}
	t.Cleanup(func() {
		for i := range rs {
			ps[i].Close()
			rs[i].Close()
		}
	})
	return rs, ps
}

// regionRecords returns the rows of one food bank of the region as records.
func regionRecords(t *testing.T, region, name string, lat, lon float64) []*o211.Record {
	t.Helper()
	objs := []o211.Object{
		&o211.Organization{ID: region + "-org", Name: name + " Society", Description: "x"},
		&o211.Service{ID: region + "-svc", OrganizationID: region + "-org", Name: name, Status: "active"},
		&o211.Location{ID: region + "-loc", OrganizationID: region + "-org", LocationType: "physical", Latitude: &lat, Longitude: &lon},
		&o211.ServiceAtLocation{ID: region + "-sal", ServiceID: region + "-svc", LocationID: region + "-loc"},
	}
	var recs []*o211.Record
	for _, o := range objs {
		data, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, &o211.Record{Kind: o.ObjectKind(), ID: o.ObjectID(), Region: region, Version: 1,
			Modified: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Data: data})
	}
	return recs
}

// Every replica serves search and the HSDS API over all regions' records,
// each result naming its region, and follows new writes.
func TestProvince_SearchAcrossRegions(t *testing.T) {
	rs, _ := provincialCluster(t)
	cl := &Client{BaseURL: "http://" + rs[0].HTTPAddr(), Token: testToken}
	registerRegions(t, cl, "east", "north")
	ctx := context.Background()
	for i, r := range []struct {
		region, name string
		lat, lon     float64
	}{{"east", "Ottawa food bank", 45.42, -75.69}, {"north", "Thunder Bay food bank", 48.38, -89.25}} {
		_, err := cl.ApplyBatch(ctx, &fsm.IngestBatch{Region: r.region, FromSeq: 1, ToSeq: 4,
			Records: regionRecords(t, r.region, r.name, r.lat, r.lon)})
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	for _, r := range rs {
		base := "http://" + r.HTTPAddr()
		testutil.CheckFor(t, 10*time.Second, func() error {
			var res o211.Results
			if err := testutil.GetJSON(base+"/api/v1/search?q=food+bank", &res); err != nil {
				return err
			}
			regions := map[string]bool{}
			for _, x := range res.Results {
				regions[x.Region] = true
			}
			if res.Total != 2 || !regions["east"] || !regions["north"] {
				return fmt.Errorf("replica %s: %d results from %v, want one from east and one from north", r.ID(), res.Total, regions)
			}
			return nil
		})
		var page struct {
			TotalItems int `json:"total_items"`
		}
		if err := testutil.GetJSON(base+"/hsds/services", &page); err != nil || page.TotalItems != 2 {
			t.Fatalf("replica %s /hsds/services: %d, %v; want 2", r.ID(), page.TotalItems, err)
		}
	}
	t.Run("NearFiltersByDistance", func(t *testing.T) {
		var res o211.Results
		if err := testutil.GetJSON("http://"+rs[2].HTTPAddr()+"/api/v1/search?q=food&near=K1N&radius_km=25", &res); err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 || res.Results[0].Region != "east" || res.Results[0].DistanceKm == nil {
			t.Fatalf("got %+v, want the Ottawa food bank with its distance", res)
		}
	})
	t.Run("Portal", func(t *testing.T) {
		base := "http://" + rs[1].HTTPAddr()
		for path, wants := range map[string][]string{
			"/fr/search?q=food+bank":  {`<html lang="fr"`, "Tout l’Ontario", "Ottawa food bank", "Thunder Bay food bank", `href="/fr/services/north-svc"`},
			"/services/north-svc":     {`<html lang="en"`, "All of Ontario", "Thunder Bay food bank", "Thunder Bay food bank Society"},
			"/":                       {"Find help near you"},
			"/search?near=K1N&q=food": {"Ottawa food bank"},
		} {
			body, status := getText(t, base+path)
			if status != http.StatusOK {
				t.Errorf("GET %s: %d", path, status)
			}
			for _, w := range wants {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s lacks %q", path, w)
				}
			}
		}
	})
}

// getText returns the body and status of a GET.
func getText(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), resp.StatusCode
}
