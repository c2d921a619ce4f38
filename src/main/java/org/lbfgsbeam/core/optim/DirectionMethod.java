package org.lbfgsbeam.core.optim;

/**
 * How the L-BFGS direction d = &minus;H<sub>k</sub>g is computed over partitioned vectors. Both give the
 * same iterates up to rounding (about 1e-12 relative).
 */
public enum DirectionMethod {
  /**
   * The two-loop recursion of Nocedal (1980) over partitioned vectors, as Najafabadi et al. (J Big Data
   * 2017) run it: every dot product is a global reduction, 2m+1 of them in sequence per iteration.
   */
  TWO_LOOP,
  /**
   * Vector-free L-BFGS (Chen, Wang, Zhou, NIPS 2014): the Gram matrix of the basis {s<sub>i</sub>,
   * y<sub>i</sub>, g} is kept current with one batched reduction per iteration (only the new dot
   * products); both loops run on scalars, and d is formed locally as a linear combination of the basis.
   */
  VECTOR_FREE
}
