/** The product's name, as every email and the app's header print it. */
export const PRODUCT_NAME = 'Acme Cloud';
