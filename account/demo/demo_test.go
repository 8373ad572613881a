package demo_test

import (
	"context"
	"testing"

	"github.com/tetherphone/tether/account/demo"
	"github.com/tetherphone/tether/account/rating"
)

func TestDemoAccount(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := demo.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Engine.Balance(ctx, demo.Account)
	if err != nil || !b.Available.Equal(demo.StartingCredit) {
		t.Fatalf("balance %+v %v", b, err)
	}
	st, err := s.Engine.Bundle(ctx, demo.Account)
	if err != nil || st.Pools[rating.PoolVoice].Allowance != 3*1000*60 {
		t.Fatalf("bundle %+v %v", st, err)
	}
	if _, ok, _ := s.Engine.Card(ctx, demo.Account); !ok {
		t.Fatal("no card on file")
	}
	s.Close()
	// A second start keeps the account as it was: no second welcome credit.
	s, err = demo.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if b, _ := s.Engine.Balance(ctx, demo.Account); !b.Posted.Equal(demo.StartingCredit) {
		t.Fatalf("after restart %+v", b)
	}
	if err := s.Store.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
