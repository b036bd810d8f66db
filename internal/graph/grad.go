package graph

import (
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
//
// Grad must be the last node-building call on the graph before a machine
// is built over live: a node built later is not in live. The gradients'
// values, and every other node's, are those a machine over the whole
// graph computes.
func Grad(cost *G.Node, wrt ...*G.Node) (grads G.Nodes, live *G.ExprGraph, err error) {
	g := cost.Graph()
	firstNew := int64(0)
	for _, n := range g.AllNodes() {
		firstNew = max(firstNew, n.ID()+1)
	}
	if grads, err = G.Grad(cost, wrt...); err != nil {
		return nil, nil, err
	}
	// The roots to keep: every gradient asked for, and every other node
	// no other node uses but those that G.Grad built and that are no
	// node's gradient.
	keep := make(map[*G.Node]bool, len(grads))
	var roots G.Nodes
	for _, n := range grads {
		if !keep[n] {
			keep[n] = true
			roots = append(roots, n)
		}
	}
	dead := 0
	for _, n := range g.AllNodes() {
		switch {
		case keep[n] || g.To(n.ID()).Len() > 0:
		case n.ID() >= firstNew && len(n.DerivOf()) == 0:
			dead++
		default:
			roots = append(roots, n)
		}
	}
	if dead == 0 {
		return grads, g, nil
	}
	return grads, g.SubgraphRoots(roots...), nil
}
