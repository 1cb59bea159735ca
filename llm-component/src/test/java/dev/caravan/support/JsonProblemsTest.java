package dev.caravan.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class JsonProblemsTest {

    private static JsonProcessingException parse(ObjectMapper mapper, String json) {
        return catchThrowableOfType(JsonProcessingException.class, () -> mapper.readValue(json, Object.class));
    }

    @Test
    void replacesTheRedactedSourceOfAnInnerLocationByLineAndColumn() {
        JsonProcessingException e = parse(new ObjectMapper(), "{\"token\": \"sk-1\",\n \"a\": [1, 2");
        assertThat(e.getOriginalMessage()).as("what Jackson says").contains("Source: REDACTED");

        assertThat(JsonProblems.message(e)).doesNotContain("Source").doesNotContain("REDACTED")
                .contains("expected close marker for Array (start marker at line 2, column 7)");
        assertThat(JsonProblems.where(e)).isEqualTo("line 2, column 12");
        assertThat(JsonProblems.describe(e)).endsWith("(line 2, column 12)");
    }

    @Test
    void neverEchoesTheJsonTextEvenWhenAMapperIncludesTheSource() {
        ObjectMapper echoing = JsonMapper.builder().enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();
        JsonProcessingException e = parse(echoing, "{\"token\": \"sk-secret\"");
        assertThat(e.getOriginalMessage()).as("what Jackson says").contains("sk-secret");

        assertThat(JsonProblems.describe(e)).doesNotContain("sk-secret").doesNotContain("Source")
                .contains("start marker at line 1, column 1");
    }

    @Test
    void keepsAMessageWithoutALocationAsItIs() {
        JsonProcessingException e = parse(new ObjectMapper(), "{\"a\": tru}");
        assertThat(JsonProblems.message(e)).isEqualTo(e.getOriginalMessage());
        assertThat(JsonProblems.where(e)).isEqualTo("line 1, column 10");
    }
}
