/** Properties of the API's answers whose values are free-form maps: their keys are data, never renamed. */
export declare const FREE_FORM_MAPS: readonly string[];
