package dev.caravan.llm;

/**
 * A tool the model may call: its name and description as the model sees them, the JSON Schema of its arguments
 * (an object schema, as text), and the Camel endpoint that runs it. Passed in the exchange property
 * {@link LlmConstants#TOOLS_PROPERTY} as a {@code List<LlmTool>}.
 *
 * @param name             the tool name the model calls
 * @param description      what the tool does, for the model
 * @param parametersSchema JSON Schema text of the arguments object; null or blank means "no arguments"
 * @param endpointUri      the Camel endpoint URI that runs the tool (body in: the arguments as a Map)
 */
public record LlmTool(String name, String description, String parametersSchema, String endpointUri) {

    public LlmTool {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("LlmTool name must not be blank");
        }
        if (endpointUri == null || endpointUri.isBlank()) {
            throw new IllegalArgumentException("LlmTool '" + name + "' needs an endpointUri");
        }
    }
}
