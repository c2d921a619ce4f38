package org.lbfgsbeam.core.optim;

/**
 * Why an L-BFGS run ended. Every run ends with exactly one of these.
 *
 * <p>The tests follow minFunc (Schmidt, {@code lbfgs.m}) in order, after each accepted step:
 *
 * <table>
 *   <caption>Stop reasons</caption>
 *   <tr><th>reason</th><th>converged</th><th>condition</th></tr>
 *   <tr><td>{@link #GRADIENT_TOLERANCE}</td><td>yes</td>
 *       <td>max|g| &le; gradient tolerance (also checked at the start point)</td></tr>
 *   <tr><td>{@link #DIRECTIONAL_DERIVATIVE}</td><td>yes</td>
 *       <td>g&middot;d &gt; &minus;progress tolerance before a line search: no descent left</td></tr>
 *   <tr><td>{@link #STEP_TOLERANCE}</td><td>yes</td><td>max|t&middot;d| &le; progress tolerance</td></tr>
 *   <tr><td>{@link #FUNCTION_TOLERANCE}</td><td>yes</td><td>|f<sub>k</sub> &minus; f<sub>k&minus;1</sub>| &lt; progress tolerance</td></tr>
 *   <tr><td>{@link #MAX_EVALUATIONS}</td><td>no</td><td>evaluations &ge; max evaluations</td></tr>
 *   <tr><td>{@link #MAX_ITERATIONS}</td><td>no</td><td>iterations = max iterations</td></tr>
 *   <tr><td>{@link #LINE_SEARCH_FAILED}</td><td>no</td>
 *       <td>two line searches in a row found no point with sufficient decrease (the first resets the history)</td></tr>
 *   <tr><td>{@link #NON_FINITE}</td><td>no</td>
 *       <td>the objective or its gradient is NaN or infinite at the start point, or the direction is
 *       not finite; the returned weights are the last finite iterate</td></tr>
 * </table>
 */
public enum StopReason {
  GRADIENT_TOLERANCE(true, "first-order optimality: max|g| below the gradient tolerance"),
  DIRECTIONAL_DERIVATIVE(true, "directional derivative g.d above -progress tolerance"),
  STEP_TOLERANCE(true, "step max|t*d| below the progress tolerance"),
  FUNCTION_TOLERANCE(true, "objective changed by less than the progress tolerance"),
  MAX_EVALUATIONS(false, "reached the maximum number of objective evaluations"),
  MAX_ITERATIONS(false, "reached the maximum number of iterations"),
  LINE_SEARCH_FAILED(false, "two consecutive line searches found no sufficient decrease"),
  NON_FINITE(false, "objective, gradient or direction not finite");

  private final boolean converged;
  private final String message;

  StopReason(boolean converged, String message) {
    this.converged = converged;
    this.message = message;
  }

  /** Whether this reason means the run converged by one of its tolerances. */
  public boolean converged() {
    return converged;
  }

  /** A readable sentence for logs and summaries. */
  public String message() {
    return message;
  }
}
