/** Beam transforms. */
package org.lbfgsbeam.transforms;
