package dev.caravan.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.caravan.json.Json;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks a run input against a workflow's {@code spec.input} JSON Schema (2020-12 unless it says otherwise). */
public final class InputValidator {

    private static final InputValidator ACCEPT_ALL = new InputValidator(null, null);

    private final String workflow;
    private final JsonSchema schema;

    private InputValidator(String workflow, JsonSchema schema) {
        this.workflow = workflow;
        this.schema = schema;
    }

    public static InputValidator of(String workflow, Map<String, Object> inputSchema) {
        if (inputSchema == null || inputSchema.isEmpty()) {
            return ACCEPT_ALL;
        }
        JsonNode node = Json.MAPPER.valueToTree(inputSchema);
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        return new InputValidator(workflow, factory.getSchema(node));
    }

    /** Throws {@link InvalidInputException} listing every problem. */
    public void validate(Object input) {
        if (schema == null) {
            return;
        }
        Set<ValidationMessage> errors = schema.validate(Json.MAPPER.valueToTree(input));
        if (!errors.isEmpty()) {
            List<String> problems = errors.stream().map(ValidationMessage::getMessage).sorted().toList();
            throw new InvalidInputException(workflow, problems);
        }
    }
}
