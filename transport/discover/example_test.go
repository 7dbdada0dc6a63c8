package discover_test

import (
	"context"
	"fmt"
	"time"

	"github.com/scpikit/scpikit/transport/discover"
)

// Everything on this machine and its network segment, within a second.
func ExampleAll() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	found, err := discover.All(ctx, discover.Options{})
	if err != nil {
		fmt.Println(err)
	}
	for _, f := range found {
		fmt.Println(f.Resource, f.Via, f.Detail)
	}
}
