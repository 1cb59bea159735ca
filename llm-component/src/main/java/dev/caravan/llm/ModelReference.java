package dev.caravan.llm;

import java.util.Locale;

/**
 * A model reference as endpoints and workflow files write it: {@code provider:model} ({@code openai:gpt-4o-mini}) or
 * a provider alone ({@code scripted}). One parser, so a workflow loader refuses exactly what an endpoint would.
 *
 * @param provider  the provider, trimmed and lower case
 * @param modelName the part after the colon, trimmed; null when there was no colon
 */
public record ModelReference(String provider, String modelName) {

    /**
     * Parses a reference.
     *
     * @throws IllegalArgumentException when the provider, or the model name after a colon, is empty
     */
    public static ModelReference parse(String ref) {
        int colon = ref.indexOf(':');
        String provider = (colon < 0 ? ref : ref.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
        String modelName = colon < 0 ? null : ref.substring(colon + 1).trim();
        if (provider.isEmpty() || (modelName != null && modelName.isEmpty())) {
            throw new IllegalArgumentException("Invalid model reference '" + ref + "': expected provider:model or scripted");
        }
        return new ModelReference(provider, modelName);
    }
}
