package graph

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
)

// Grad is G.Grad(cost, wrt...), which returns the gradient of cost with
// respect to each node of wrt, that also returns the part of cost's
// graph a machine should run: all of it but the gradients G.Grad built
// and nothing uses.
//
// G.Grad differentiates an op with respect to all its inputs at once,
// also those that need no gradient: the first convolution's patches of
// the input images, the input data of a critic, the weights of a network
// that is not being trained. Those gradients are nodes with no parents,
// and a machine over the whole graph computes them every run (the
// first convolution's alone is a product of 100 MFLOP at batch 64).
// live keeps every node that was a root before G.Grad ran (the loss, the
// outputs a model reads) with all it needs, the gradients asked for, and
// any other node's gradient that nothing uses; it leaves out the rest of
// what G.Grad built that nothing uses.
//
// Grad must be the last node-building call on the graph before a machine
// is built over live: a node built later is not in live. The gradients'
// values, and every other node's, are those a machine over the whole
// graph computes.
func Grad(cost *G.Node, wrt ...*G.Node) (grads G.Nodes, live *G.ExprGraph, err error) {
	return differentiate(cost.Graph(), func() (G.Nodes, error) { return G.Grad(cost, wrt...) })
}

// Backprop is [Grad] for outputs that are not a scalar cost: it returns
// the gradients with respect to wrt of the outputs whose own gradients
// are the nodes seeds, one per output (G.Backpropagate), and the part of
// the graph a machine should run, as Grad does. A seed is typically the
// node of a [Handoff] at its output, whose value another machine computes.
func Backprop(outputs, seeds G.Nodes, wrt ...*G.Node) (grads G.Nodes, live *G.ExprGraph, err error) {
	if len(outputs) == 0 || len(seeds) != len(outputs) {
		return nil, nil, fmt.Errorf("graph.Backprop: %d seeds for %d outputs", len(seeds), len(outputs))
	}
	return differentiate(outputs[0].Graph(), func() (G.Nodes, error) { return G.Backpropagate(outputs, seeds, wrt) })
}

// differentiate runs diff, which builds gradients into g, and returns
// them with the part of g a machine should run (see Grad).
func differentiate(g *G.ExprGraph, diff func() (G.Nodes, error)) (grads G.Nodes, live *G.ExprGraph, err error) {
	// The roots to keep: those of the graph before G.Grad (which may give
	// them parents that only unused gradients read, such as the division
	// of a G.Mean by its count), every gradient asked for, and any new
	// root that is some node's gradient.
	var roots G.Nodes
	kept := map[*G.Node]bool{}
	keep := func(n *G.Node) {
		if !kept[n] {
			kept[n] = true
			roots = append(roots, n)
		}
	}
	for _, n := range g.AllNodes() {
		if g.To(n.ID()).Len() == 0 {
			keep(n)
		}
	}
	if grads, err = diff(); err != nil {
		return nil, nil, err
	}
	// G.Grad first removes nodes with neither parents nor children.
	inGraph := map[*G.Node]bool{}
	for _, n := range g.AllNodes() {
		inGraph[n] = true
	}
	roots = slices.DeleteFunc(roots, func(n *G.Node) bool { return !inGraph[n] })
	for _, n := range grads {
		keep(n)
	}
	dead := 0
	for _, n := range g.AllNodes() {
		switch {
		case kept[n] || g.To(n.ID()).Len() > 0:
		case len(n.DerivOf()) > 0:
			keep(n)
		default:
			dead++
		}
	}
	if dead == 0 {
		return grads, g, nil
	}
	return grads, g.SubgraphRoots(roots...), nil
}
