package usbtmc_test

import (
	"fmt"

	"github.com/scpikit/scpikit/transport/usbtmc"
)

// The usbtmc instruments plugged into this machine, as resource strings.
func ExampleResolver_List() {
	devs, err := usbtmc.System.List()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range devs {
		fmt.Println(d.Resource(), d.Path)
	}
}
