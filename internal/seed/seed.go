// Package seed derives independent random seeds from one run seed, so that
// a run's initialization, data order and sampling each draw from a source of
// their own and the same run seed always gives the same numbers.
package seed

// Derive maps a seed and a stream number to an independent, well-mixed
// 64-bit seed: SplitMix64's finalizer applied to seed + stream·φ, where φ is
// 2⁶⁴ divided by the golden ratio. Different streams of one seed, and one
// stream of different seeds, give unrelated values.
func Derive(seed, stream uint64) uint64 {
	z := seed + stream*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
