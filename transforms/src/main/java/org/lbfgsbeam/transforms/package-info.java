/**
 * The dataflow of Najafabadi et al., "Large-scale distributed L-BFGS" (J Big Data 2017), as Apache Beam
 * transforms: distributed vectors are {@code PCollection<KV<Integer, double[]>>} with one block per
 * node_id; local operations are ParDos on blocks; the only global steps are dot products and the
 * objective's combine, each a {@code Combine.globally} in node order broadcast as a singleton side
 * input. The math lives in the Beam-free core ({@code org.lbfgsbeam.core}); this package only wires it.
 */
package org.lbfgsbeam.transforms;
