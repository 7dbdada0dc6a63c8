// Package resultstest writes scripted runs into a station store (or any
// event sink) as the harness would, for tests of the results layer and of
// what reads it (the station's pages, the fleet, the analytics).
package resultstest
