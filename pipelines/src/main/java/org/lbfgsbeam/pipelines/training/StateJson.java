package org.lbfgsbeam.pipelines.training;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import org.lbfgsbeam.core.optim.GramMatrix;

/**
 * The JSON mapper for the coordinator's state ({@code LbfgsState} and what it holds), which a driver
 * saves after every superstep to resume a run. Doubles are written in the shortest form that reads back
 * to the same bits (NaN and infinities as strings), so a resumed run continues bit for bit.
 */
public final class StateJson {
  private StateJson() {}

  public static ObjectMapper mapper() {
    SimpleModule module = new SimpleModule("lbfgs-state");
    module.addSerializer(GramMatrix.class, new JsonSerializer<GramMatrix>() {
      @Override
      public void serialize(GramMatrix gram, JsonGenerator gen, SerializerProvider provider)
          throws IOException {
        gen.writeStartObject();
        gen.writeNumberField("pairs", gram.pairs());
        gen.writeFieldName("entries");
        provider.defaultSerializeValue(gram.entries(), gen);
        gen.writeEndObject();
      }
    });
    module.addDeserializer(GramMatrix.class, new JsonDeserializer<GramMatrix>() {
      @Override
      public GramMatrix deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
        JsonNode node = p.getCodec().readTree(p);
        double[] entries = p.getCodec().treeToValue(node.get("entries"), double[].class);
        return GramMatrix.of(node.get("pairs").asInt(), entries);
      }
    });
    return JsonMapper.builder()
        .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
        .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(MapperFeature.AUTO_DETECT_IS_GETTERS)
        .addModule(module)
        .build();
  }
}
