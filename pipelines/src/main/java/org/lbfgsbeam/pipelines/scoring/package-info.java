/**
 * {@code evaluate} and {@code predict}: a trained model (linear or network, read by the transforms
 * module's model files) scored on a data set, its metrics and its top-k predictions.
 */
package org.lbfgsbeam.pipelines.scoring;
