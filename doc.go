// Package infomax compares mutual-information estimators on data with known
// MI and inside Deep InfoMax. This package holds no code: it documents how
// the others are layered, and its tests keep them so. README.md's
// Architecture section says the same for readers of the repository.
//
// # Layers
//
// Packages import one way, from the top of this list to the bottom, never
// sideways within a layer (except where a layer lists an order) and never
// up:
//
//  7. cmd/sweep: the command line. The only place that orchestrates: it
//     runs a sweep with the engine, then makes its reports, and links in
//     every task. Beside it cmd/speedratio, which times our benchmarks
//     against the PyTorch references (it runs both as programs).
//  6. experiments/engine/sweep, the sweep engine (decodes sweep files,
//     expands and shards runs, runs them resumably, keeps results.csv); and
//     experiments/tasks/<name>, one package per task (bmi, consistency,
//     dim, gaussian), with
//     experiments/tasks/taskstest, the harness their tests share. The
//     engine never imports a task, nor a task the engine.
//  5. experiments/engine/checkpoint: atomic checkpoint files and the state
//     encoding tasks write into them; experiments/train/pair: the pair
//     critic and estimator model that the vector tasks (gaussian, bmi)
//     and consistency train.
//  4. experiments/tasks: the task contract (Task, Config, Run) and the
//     task registry.
//  3. reports (figures and tables from results files, by registered kind),
//     experiments/train/probe (probes and the linear SVM on frozen
//     features), experiments/train/evals (the other measurements of a
//     frozen code: MS-SSIM of a decoder, a critic's I(X; Y), NDM) and
//     experiments/data (registered image data sets and their readers).
//  2. experiments/engine/results (the results files: summary.json,
//     metrics.jsonl, results.csv), experiments/train/optim (Adam),
//     architectures (networks built into gorgonia graphs, and the critic
//     registries) and estimators (MI estimators and their registry).
//  1. internal/...: plumbing with no knowledge of the layers above:
//     graph (gorgonia custom ops, the machine lifecycle, and the BLAS
//     choice) and blas/benchprofile (the step benchmarks'
//     -productprofile flag, imported only by tests), and below them
//     registry (the one registry behind every plug-in kind), blas (matrix
//     products), seed, stats, english, safetensors (the file format of a kept
//     encoder, which PyTorch reads) and hugepage (large buffers on
//     2 MB pages, for the weights and Adam's moments);
//     with them, sweeps: the shipped sweep files, embedded so that the
//     command runs them by name, a package of data that imports nothing
//     of the module; and under blas, at the very bottom, parallel (the
//     loops split across cores, for blas, graph and Adam) and vec
//     (float32 loops in AVX2: additions and column sums, for blas's
//     convolution gradients among others).
//
// A package imports another for what that package is about, never only to
// borrow a helper: a helper two layers need goes down into internal/.
//
// # Where a new piece goes
//
// Each is one file that registers itself in init, as a database/sql driver
// does, and appears in `sweep list`:
//
//   - an estimator: estimators/<name>.go, estimators.Register;
//   - a pair critic (vector tasks), local or global critic (Deep InfoMax):
//     architectures/<name>.go, architectures.RegisterPairCritic,
//     RegisterLocalCritic or RegisterGlobalCritic;
//   - a data set: experiments/data/<name>.go, data.Register;
//   - a report kind: reports/<name>.go, reports.Register;
//   - a task: a package experiments/tasks/<name> whose init calls
//     tasks.Register, imported for that side effect by cmd/sweep.
//
// Every registry has the same three functions, Register, Lookup and Names
// (with the kind in the name where a package registers several kinds, as
// architectures does), and an unknown name is an error that lists the
// known ones and suggests the closest.
package infomax
