// Package models is the home of the simulated instruments: one package per
// vendor family, each registering its models with sim in an init
// function, as database/sql drivers register themselves.
//
// A program or test that opens models by name imports them all at once:
//
//	import _ "github.com/scpikit/scpikit/sim/models/all"
//
// or one family only (import _ "github.com/scpikit/scpikit/sim/models/rigol").
// docs/instruments/adding-an-instrument.md shows how to add a model.
package models
