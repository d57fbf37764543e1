// Admin task (twelve-factor XII): runs once with the service's image, config and role.
console.log(`migrating ${process.env.USERS_TABLE_NAME} for release ${process.env.RELEASE_ID}`);
