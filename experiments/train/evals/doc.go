// Package evals measures a frozen encoder's code beyond classification,
// as Table 3 of Deep InfoMax's paper does (Hjelm et al. 2019): how well Y
// can be decoded back into the image (MS-SSIM of a decoder's
// reconstructions), how much information Y keeps about the image (a
// critic's estimate of I(X; Y)) and how independent Y's dimensions are (the
// neural dependency measure, NDM). The fourth measurement of that table,
// the linear SVM, is a classifier like the probes: probe.TrainSVM.
//
// Each evaluation trains its own network on the training rows it is
// given, holds a fraction of them out as a validation split to choose the
// epoch it reports (the one with the best validation score), and reports
// on the test rows. The caller extracts Y from the encoder; the
// evaluations never see it.
package evals
