package org.lbfgsbeam.sparkpeer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A flat JSON object of numbers, strings and nulls, written in insertion order (summary.json). Doubles
 * are written by {@link Double#toString}, which reads back to the same bits; NaN and infinities,
 * which JSON cannot hold, become null.
 */
final class JsonObject {
  private final Map<String, String> fields = new LinkedHashMap<>();

  JsonObject put(String name, double value) {
    fields.put(name, Double.isFinite(value) ? Double.toString(value) : "null");
    return this;
  }

  JsonObject put(String name, long value) {
    fields.put(name, Long.toString(value));
    return this;
  }

  JsonObject put(String name, String value) {
    fields.put(name, value == null ? "null" : quote(value));
    return this;
  }

  /** A number or null. */
  JsonObject putNullable(String name, Number value) {
    if (value == null) {
      fields.put(name, "null");
    } else if (value instanceof Double d) {
      put(name, d.doubleValue());
    } else {
      put(name, value.longValue());
    }
    return this;
  }

  String text() {
    StringBuilder sb = new StringBuilder("{\n");
    int i = 0;
    for (Map.Entry<String, String> e : fields.entrySet()) {
      sb.append("  ").append(quote(e.getKey())).append(": ").append(e.getValue())
          .append(++i < fields.size() ? ",\n" : "\n");
    }
    return sb.append("}\n").toString();
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
