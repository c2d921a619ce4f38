package org.lbfgsbeam.core.optim;

/**
 * The L-BFGS two-loop recursion run on scalars (Chen, Wang and Zhou, "Large-scale L-BFGS using
 * MapReduce", NIPS 2014, Algorithm 3). With d = &Sigma;<sub>l</sub> &delta;<sub>l</sub> b<sub>l</sub>
 * over the basis b = [s<sub>0..h&minus;1</sub>, y<sub>0..h&minus;1</sub>, g], every dot product
 * b<sub>i</sub>&middot;d of the ordinary recursion is &Sigma;<sub>l</sub> &delta;<sub>l</sub> B<sub>il</sub>
 * with B the {@link GramMatrix}, so the recursion needs no pass over the vectors:
 * <pre>
 *   &delta; = &minus;e<sub>g</sub>
 *   for i = h&minus;1 .. 0:  &alpha;<sub>i</sub> = &rho;<sub>i</sub> &Sigma;<sub>l</sub> &delta;<sub>l</sub> B(s<sub>i</sub>, b<sub>l</sub>);  &delta;(y<sub>i</sub>) &minus;= &alpha;<sub>i</sub>
 *   &delta; *= &gamma;
 *   for i = 0 .. h&minus;1:  &beta; = &rho;<sub>i</sub> &Sigma;<sub>l</sub> &delta;<sub>l</sub> B(y<sub>i</sub>, b<sub>l</sub>);  &delta;(s<sub>i</sub>) += &alpha;<sub>i</sub> &minus; &beta;
 * </pre>
 * with &rho;<sub>i</sub> = 1/(s<sub>i</sub>&middot;y<sub>i</sub>) and &gamma; the initial Hessian scaling.
 * The result is d = &minus;H g, the same direction as {@link DirectionMethod#TWO_LOOP} up to rounding.
 */
public final class VectorFreeDirection {
  private VectorFreeDirection() {}

  /** The coefficients &delta; of d over the basis of {@code gram}, with H<sub>0</sub> = &gamma;I. */
  public static double[] coefficients(GramMatrix gram, double gamma) {
    int h = gram.pairs();
    int size = gram.size();
    double[] delta = new double[size];
    delta[GramMatrix.g(h)] = -1;
    double[] alpha = new double[h];
    for (int i = h - 1; i >= 0; i--) {
      double rho = 1 / gram.get(GramMatrix.s(i), GramMatrix.y(h, i));
      alpha[i] = rho * rowDot(gram, GramMatrix.s(i), delta);
      delta[GramMatrix.y(h, i)] -= alpha[i];
    }
    for (int l = 0; l < size; l++) {
      delta[l] *= gamma;
    }
    for (int i = 0; i < h; i++) {
      double rho = 1 / gram.get(GramMatrix.s(i), GramMatrix.y(h, i));
      double beta = rho * rowDot(gram, GramMatrix.y(h, i), delta);
      delta[GramMatrix.s(i)] += alpha[i] - beta;
    }
    return delta;
  }

  private static double rowDot(GramMatrix gram, int row, double[] delta) {
    double sum = 0;
    for (int l = 0; l < delta.length; l++) {
      sum += delta[l] * gram.get(row, l);
    }
    return sum;
  }
}
